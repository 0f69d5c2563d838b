/**
 * Returns true when an `Accept` header admits `mediaType`. Tidemark never rewrites a
 * manifest into another format (the digest must match the bytes sent; field case F08), so
 * negotiation only decides between the stored bytes and 404. An absent Accept, wildcards,
 * and the generic `application/json` that older clients send all admit the stored type.
 */
export function acceptsMediaType(accept: string | undefined, mediaType: string): boolean {
  if (accept === undefined || accept.trim() === '') {
    return true;
  }
  const accepted = accept
    .split(',')
    .map((entry) => entry.split(';')[0]!.trim().toLowerCase())
    .filter((entry) => entry !== '');
  const generic = ['*/*', 'application/*', 'application/json', mediaType.toLowerCase()];
  return accepted.length === 0 || accepted.some((entry) => generic.includes(entry));
}
