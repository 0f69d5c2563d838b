/** Reports how far an upload session has got (`GET /v2/<name>/blobs/uploads/<id>`). */
export class GetUploadStatusQuery {
  constructor(
    readonly repository: string,
    readonly uploadId: string,
  ) {}
}
