/** Media types the registry treats specially. Unknown types are stored, never rejected. */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Manifest media types whose content lists other manifests. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciIndex,
  MediaType.DockerManifestList,
]);

/** Manifest media types whose content lists a config and layers. */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciManifest,
  MediaType.DockerManifest,
]);

/** The manifest media types a PUT may carry. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  ...INDEX_MEDIA_TYPES,
  ...IMAGE_MEDIA_TYPES,
]);

// RFC 6838 section 4.2: type "/" subtype, each restricted-name (127 chars at most).
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE_GRAMMAR = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/** Returns true when `value` is a syntactically valid media type without parameters. */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE_GRAMMAR.test(value);
}

/** Strips parameters and whitespace: `application/json; charset=utf-8` → `application/json`. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base === '' ? undefined : base;
}
