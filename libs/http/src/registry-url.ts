// Repository names contain slashes, which a path router cannot match as one parameter. Every
// endpoint of DS v1.1 ends in a fixed suffix, so the name is what stands before the suffix;
// it is percent-encoded into one path segment before routing. The name group is greedy, so
// the longest name that leaves a valid suffix wins: in `/v2/a/blobs/manifests/v1` the name
// is `a/blobs`, and in `/v2/a/blobs/uploads/` it is `a`.
const ENDPOINT =
  /^\/v2\/(.+)\/(blobs\/uploads\/?[^/]*|blobs\/[^/]+|manifests\/[^/]+|tags\/list\/?|referrers\/[^/]+)$/;

/** Rewrites `/v2/<name>/<endpoint>` so that `<name>` is one path segment; else returns `url`. */
export function rewriteRegistryUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const match = ENDPOINT.exec(path);
  if (!match) {
    return url;
  }
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  return `/v2/${encodeURIComponent(match[1]!)}/${match[2]}${query}`;
}
