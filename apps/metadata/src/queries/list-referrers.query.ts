/** Lists the manifests that name a subject (`GET /v2/<name>/referrers/<digest>`). */
export class ListReferrersQuery {
  constructor(
    readonly repository: string,
    readonly subject: string,
    /** Filter: keep referrers of any of these artifact types; empty keeps all. */
    readonly artifactTypes: readonly string[],
  ) {}
}
