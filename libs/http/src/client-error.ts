import { STATUS_CODES, type IncomingMessage } from 'node:http';
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
  endWithError(socket, status, {
    code: isLength ? 'SIZE_INVALID' : 'UNSUPPORTED',
    message: isLength ? 'invalid Content-Length header' : 'malformed HTTP request',
    detail: { reason: error.code ?? 'unknown' },
  });
}

/**
 * Answers a CONNECT request, which Node hands to the server's 'connect' listener instead of
 * the application (and, with no listener, drops without a word): a registry is no proxy.
 */
export function answerConnect(_request: IncomingMessage, socket: Duplex): void {
  endWithError(socket, 405, {
    code: 'UNSUPPORTED',
    message: 'the operation is unsupported',
    detail: { method: 'CONNECT' },
  });
}

/** Writes a whole HTTP response with an OCI error body on a raw socket, and closes it. */
function endWithError(
  socket: Duplex,
  status: number,
  error: { code: string; message: string; detail: unknown },
): void {
  const body = JSON.stringify({ errors: [error] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
