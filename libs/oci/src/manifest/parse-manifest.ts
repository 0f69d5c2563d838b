import { digestOf, type Digest } from '../digest';
import { ManifestInvalidError } from '../errors';
import {
  baseMediaType,
  INDEX_MEDIA_TYPES,
  isMediaType,
  MANIFEST_MEDIA_TYPES,
  MediaType,
} from '../media-types';
import {
  invalid,
  isObject,
  parseAnnotations,
  parseDescriptor,
  type Descriptor,
} from './descriptor';

/** What the registry needs to know about a pushed manifest. Pure data, derived from bytes. */
export interface ParsedManifest {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  /** Config and layers: blobs that must already be in the repository. */
  readonly blobs: readonly Descriptor[];
  /** Child manifests of an index: manifests that must already be in the repository. */
  readonly manifests: readonly Descriptor[];
  /** The manifest this one refers to (referrers API); it need not exist yet. */
  readonly subject?: Descriptor;
  /** `artifactType`, or for image manifests without one, `config.mediaType`. */
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

const SCHEMA1_TYPES = new Set<string>([MediaType.DockerSchema1, MediaType.DockerSchema1Signed]);

/**
 * Parses and validates manifest bytes as pushed with `contentType`. Throws MANIFEST_INVALID
 * for anything that is not a schema 2 / OCI image manifest or index. Unknown config, layer
 * and artifact media types are accepted, as the image spec requires.
 */
export function parseManifest(content: Buffer, contentType: string | undefined): ParsedManifest {
  const document = parseJson(content);
  const mediaType = effectiveMediaType(document, baseMediaType(contentType));
  const digest = digestOf(content);
  const common = { mediaType, digest, size: content.length, ...parseReferrerFields(document) };

  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    return { ...common, blobs: [], manifests: descriptorList(document, 'manifests') };
  }
  const config = parseDescriptor(document['config'], 'config');
  const layers = descriptorList(document, 'layers');
  const artifactType = common.artifactType ?? config.mediaType;
  return {
    ...common,
    artifactType,
    blobs: [config, ...layers.filter(isDistributable)],
    manifests: [],
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// U+0000, or a surrogate without its other half: JSON can escape them, but they are not text
// (RFC 7493, I-JSON, section 2.1), and Postgres cannot store them in text or jsonb.
const NOT_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Parses manifest bytes as JSON text (RFC 8259: UTF-8). Every name and string must be text
 * that can be stored as it is, since annotations and media types end up in the event log.
 */
function parseJson(content: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = UTF8.decode(content);
  } catch (error) {
    throw new ManifestInvalidError({ reason: 'manifest is not UTF-8' }, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text, refuseNonText);
  } catch (error) {
    if (error instanceof ManifestInvalidError) {
      throw error;
    }
    throw new ManifestInvalidError({ reason: 'manifest is not valid JSON' }, { cause: error });
  }
  if (!isObject(document)) {
    throw invalid('$', 'manifest must be a JSON object');
  }
  return document;
}

function refuseNonText(key: string, value: unknown): unknown {
  if (NOT_TEXT.test(key) || (typeof value === 'string' && NOT_TEXT.test(value))) {
    throw new ManifestInvalidError({
      reason: 'manifest strings must not contain U+0000 or unpaired surrogates',
    });
  }
  return value;
}

function effectiveMediaType(
  document: Record<string, unknown>,
  headerType: string | undefined,
): string {
  const bodyType = document['mediaType'];
  if (document['schemaVersion'] === 1 || SCHEMA1_TYPES.has(headerType ?? '')) {
    throw invalid('schemaVersion', 'schema 1 manifests are not supported; push schema 2 or OCI');
  }
  if (document['schemaVersion'] !== 2) {
    throw invalid('schemaVersion', 'schemaVersion must be 2');
  }
  if (bodyType !== undefined && typeof bodyType !== 'string') {
    throw invalid('mediaType', 'mediaType must be a string');
  }
  const mediaType = headerType && headerType !== 'application/octet-stream' ? headerType : bodyType;
  if (bodyType !== undefined && mediaType !== bodyType) {
    throw invalid('mediaType', 'mediaType in the body differs from the Content-Type header');
  }
  if (mediaType === undefined || !MANIFEST_MEDIA_TYPES.has(mediaType)) {
    throw invalid('mediaType', 'unsupported manifest media type');
  }
  return mediaType;
}

function descriptorList(document: Record<string, unknown>, field: string): Descriptor[] {
  const list = document[field];
  if (!Array.isArray(list)) {
    throw invalid(field, `${field} must be an array`);
  }
  return list.map((item, index) => parseDescriptor(item, `${field}[${index}]`));
}

function parseReferrerFields(document: Record<string, unknown>): {
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
} {
  const { subject, artifactType, annotations } = document;
  if (
    artifactType !== undefined &&
    (typeof artifactType !== 'string' || !isMediaType(artifactType))
  ) {
    throw invalid('artifactType', 'malformed media type');
  }
  return {
    ...(subject === undefined ? {} : { subject: parseDescriptor(subject, 'subject') }),
    ...(artifactType === undefined ? {} : { artifactType: artifactType as string }),
    ...(annotations === undefined ? {} : { annotations: parseAnnotations(annotations, '$') }),
  };
}

// Foreign (non-distributable) layers live at their `urls`; the registry never holds them.
function isDistributable(layer: Descriptor): boolean {
  const isForeign = /foreign|nondistributable/.test(layer.mediaType);
  return !(isForeign && layer.urls !== undefined && layer.urls.length > 0);
}
