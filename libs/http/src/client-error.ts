import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** The parser's codes for a Content-Length it cannot take: not a number, or two that differ. */
const BAD_CONTENT_LENGTH = new Set(['HPE_INVALID_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH']);

/**
 * Answers a request that Node's HTTP parser refused before Fastify saw it (a Content-Length
 * that is not a number, a header line without a colon, headers over the size limit) in the
 * OCI error format instead of a bare 400, then closes the connection: after a parse error
 * nothing tells where the next request would start.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : 400;
  const isLength = error.code !== undefined && BAD_CONTENT_LENGTH.has(error.code);
  const body = JSON.stringify({
    errors: [
      {
        code: isLength ? 'SIZE_INVALID' : 'UNSUPPORTED',
        message: isLength ? 'invalid Content-Length header' : 'malformed HTTP request',
        detail: { reason: error.code ?? 'unknown' },
      },
    ],
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
