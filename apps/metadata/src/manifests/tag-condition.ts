import { isDigest, ManifestInvalidError, type Digest } from '@tidemark/oci';

/**
 * A condition on the tags a manifest push moves (RFC 9110 section 13.1), with the tag's
 * current digest as its entity tag: `If-Match: "<digest>"` moves the tag only if it still
 * points there (`*`: only if it exists); `If-None-Match: *` creates the tag only if it
 * does not exist. Tools that promote tags use them to keep concurrent promotions from
 * silently overwriting each other.
 */
export type TagCondition = { readonly ifMatch: (Digest | '*')[] } | { readonly ifNoneMatch: '*' };

/** Parses the condition headers of a push; undefined when there are none. */
export function parseTagCondition(
  ifMatch?: string,
  ifNoneMatch?: string,
): TagCondition | undefined {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new ManifestInvalidError({ reason: 'send either If-Match or If-None-Match, not both' });
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw new ManifestInvalidError({ ifNoneMatch, reason: 'only If-None-Match: * is supported' });
    }
    return { ifNoneMatch: '*' };
  }
  if (ifMatch === undefined) {
    return undefined;
  }
  const entries = ifMatch.split(',').map((entry) => entry.trim());
  const tags = entries.map((entry) => entry.replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
  if (!tags.every((tag) => tag === '*' || isDigest(tag))) {
    throw new ManifestInvalidError({ ifMatch, reason: 'If-Match takes quoted digests or *' });
  }
  // If-Match compares strongly (RFC 9110 section 13.1.1): a weak tag never matches.
  const strong = tags.filter((_, index) => !entries[index]!.startsWith('W/'));
  return { ifMatch: strong as (Digest | '*')[] };
}

/** Returns true when a tag that now points at `current` (undefined: no such tag) may move. */
export function isConditionMet(
  condition: TagCondition | undefined,
  current: Digest | undefined,
): boolean {
  if (condition === undefined) {
    return true;
  }
  if ('ifNoneMatch' in condition) {
    return current === undefined;
  }
  return current !== undefined && condition.ifMatch.some((tag) => tag === '*' || tag === current);
}
