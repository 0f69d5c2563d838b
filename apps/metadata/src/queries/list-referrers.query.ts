/** Lists the manifests that name a subject (`GET /v2/<name>/referrers/<digest>`). */
export class ListReferrersQuery {
  constructor(
    readonly repository: string,
    readonly subject: string,
    readonly artifactType: string | undefined,
  ) {}
}
