import { PayloadTooLargeError } from '@tidemark/oci';
import type { FastifyRequest } from 'fastify';

/**
 * Reads a request body into memory, refusing more than `limit` bytes with 413 before
 * reading them: a declared Content-Length over the limit is refused at once, and a body
 * that grows past it while streaming is cut off.
 */
export async function readLimitedBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    throw new PayloadTooLargeError({ limit, contentLength: declared });
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of request.raw) {
    size += (part as Buffer).length;
    if (size > limit) {
      request.raw.destroy();
      throw new PayloadTooLargeError({ limit });
    }
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}
