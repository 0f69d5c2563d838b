/** Reads a blob or its metadata (`GET`/`HEAD /v2/<name>/blobs/<digest>`). */
export class GetBlobQuery {
  constructor(
    readonly repository: string,
    readonly digest: string,
    readonly isHead: boolean,
    readonly range: string | undefined,
  ) {}
}
