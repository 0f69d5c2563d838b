import type { RequestMetadata } from '@tidemark/http';

/** Unlinks a blob from a repository (`DELETE /v2/<name>/blobs/<digest>`). */
export class DeleteBlobCommand {
  constructor(
    readonly repository: string,
    readonly digest: string,
    readonly request: RequestMetadata,
  ) {}
}
