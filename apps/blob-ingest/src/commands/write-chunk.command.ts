import type { IncomingChunk } from '../uploads/upload-writer';

/** Appends a chunk to an upload session (`PATCH`). */
export class WriteChunkCommand {
  constructor(
    readonly repository: string,
    readonly uploadId: string,
    readonly chunk: IncomingChunk,
  ) {}
}
