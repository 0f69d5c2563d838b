import { parseUploadContentRange, SizeInvalidError } from '@tidemark/oci';
import type { FastifyRequest } from 'fastify';
import type { IncomingChunk } from '../uploads/upload-writer';

/** Reads the chunk of an upload request: its body stream and the headers that frame it. */
export function chunkFrom(request: FastifyRequest): IncomingChunk {
  const range = request.headers['content-range'];
  const length = request.headers['content-length'];
  const contentLength = length === undefined ? undefined : Number(length);
  if (contentLength !== undefined && !Number.isSafeInteger(contentLength)) {
    throw new SizeInvalidError({ contentLength: length });
  }
  return {
    body: request.raw,
    ...(range === undefined ? {} : { contentRange: parseUploadContentRange(range) }),
    ...(contentLength === undefined ? {} : { contentLength }),
  };
}
