import type { RequestMetadata } from '@tidemark/http';
import type { IncomingChunk } from '../uploads/upload-writer';

/** Closes an upload session (`PUT ?digest=`), with or without a final chunk. */
export class CompleteUploadCommand {
  constructor(
    readonly repository: string,
    readonly uploadId: string,
    readonly digest: string | undefined,
    readonly chunk: IncomingChunk,
    readonly request: RequestMetadata,
  ) {}
}
