import { PayloadTooLargeError } from '@tidemark/oci';
import type { FastifyRequest } from 'fastify';

/**
 * Reads a request body into memory, refusing more than `limit` bytes with 413 before
 * reading them: a declared Content-Length over the limit is refused at once, and a body
 * that grows past it while streaming stops being read. Either way the connection closes
 * after the error response instead of reading the rest.
 */
export function readLimitedBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(tooLarge({ limit, contentLength: declared }));
  }
  const body = request.raw;
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (part: Buffer): void => {
      size += part.length;
      if (size > limit) {
        body.off('data', onData).off('end', onEnd).pause();
        reject(tooLarge({ limit }));
        return;
      }
      parts.push(part);
    };
    const onEnd = (): void => resolve(Buffer.concat(parts));
    body.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

function tooLarge(detail: Record<string, number>): PayloadTooLargeError {
  const error = new PayloadTooLargeError(detail);
  error.headers['Connection'] = 'close';
  return error;
}
