import { isDigest, type Digest } from './digest';

// Grammars from the OCI Distribution Spec v1.1 ("Pulling manifests").
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_GRAMMAR = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG_GRAMMAR = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/**
 * The longest repository name accepted. The spec lets registries cap names; 255 is what
 * clients assume for `<host>/<name>` as a whole, so a name alone never needs more.
 */
export const MAX_NAME_LENGTH = 255;

/** Returns true when `name` is a valid repository name. */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_GRAMMAR.test(name);
}

/** Returns true when `tag` is a valid tag. */
export function isTag(tag: string): boolean {
  return TAG_GRAMMAR.test(tag);
}

/** What a manifest reference in a URL names: a tag or a digest. */
export type ManifestReference =
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'digest'; readonly digest: Digest };

/**
 * Parses the `<reference>` of `/v2/<name>/manifests/<reference>`, or returns undefined when
 * it is neither a tag nor a supported digest.
 */
export function parseManifestReference(reference: string): ManifestReference | undefined {
  if (reference.includes(':')) {
    return isDigest(reference) ? { kind: 'digest', digest: reference } : undefined;
  }
  return isTag(reference) ? { kind: 'tag', tag: reference } : undefined;
}
