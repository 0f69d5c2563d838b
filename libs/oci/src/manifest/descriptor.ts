import { isDigest, type Digest } from '../digest';
import { ManifestInvalidError } from '../errors';
import { isMediaType } from '../media-types';

/** An OCI content descriptor (image spec, descriptor.md), as validated on manifest push. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly urls?: readonly string[];
}

/** Returns true when `value` is a plain JSON object (not an array or null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one descriptor found at `path` (e.g. `layers[2]`) and returns it typed, or
 * throws MANIFEST_INVALID naming the field at fault.
 */
export function parseDescriptor(value: unknown, path: string): Descriptor {
  if (!isObject(value)) {
    throw invalid(path, 'descriptor must be an object');
  }
  const { mediaType, digest, size, artifactType, annotations, urls } = value;
  if (typeof mediaType !== 'string' || !isMediaType(mediaType)) {
    throw invalid(`${path}.mediaType`, 'missing or malformed media type');
  }
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw invalid(`${path}.digest`, 'missing, malformed or unsupported digest');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${path}.size`, 'size must be a non-negative integer');
  }
  if (
    artifactType !== undefined &&
    (typeof artifactType !== 'string' || !isMediaType(artifactType))
  ) {
    throw invalid(`${path}.artifactType`, 'malformed media type');
  }
  return {
    mediaType,
    digest,
    size,
    ...(artifactType === undefined ? {} : { artifactType: artifactType as string }),
    ...(annotations === undefined ? {} : { annotations: parseAnnotations(annotations, path) }),
    ...(urls === undefined ? {} : { urls: parseUrls(urls, path) }),
  };
}

/** Validates an `annotations` map: string keys to string values. */
export function parseAnnotations(value: unknown, path: string): Record<string, string> {
  if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw invalid(`${path}.annotations`, 'annotations must map strings to strings');
  }
  return value as Record<string, string>;
}

function parseUrls(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalid(`${path}.urls`, 'urls must be an array of strings');
  }
  return value as string[];
}

/** Builds the MANIFEST_INVALID error used throughout manifest validation. */
export function invalid(field: string, reason: string): ManifestInvalidError {
  return new ManifestInvalidError({ field, reason });
}
