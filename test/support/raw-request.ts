import { request, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

/** A response read whole. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What to send besides the method and path. A stream body is sent chunked. */
export interface RawRequestInit {
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string | Readable;
}

/**
 * Sends one HTTP request with the path exactly as given. Unlike `fetch`, nothing normalizes
 * it, so `..` and `//` reach the server as written. A server may answer before it has read the
 * whole body (a 413, say) and close the connection. A failed write after the response has
 * arrived is therefore not an error.
 */
export function sendRaw(
  baseUrl: string,
  method: string,
  path: string,
  init: RawRequestInit = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let hasResponse = false;
    const outgoing = request({
      host: hostname,
      port,
      method,
      path,
      headers: init.headers,
      agent: false,
    });
    outgoing.once('response', (incoming) => {
      hasResponse = true;
      const parts: Buffer[] = [];
      incoming.on('data', (part: Buffer) => parts.push(part));
      incoming.once('end', () =>
        resolve({
          status: incoming.statusCode!,
          headers: incoming.headers,
          body: Buffer.concat(parts),
        }),
      );
      incoming.once('error', reject);
    });
    outgoing.on('error', (error) => {
      if (!hasResponse) {
        reject(error);
      }
    });
    if (init.body instanceof Readable) {
      init.body.pipe(outgoing);
      return;
    }
    outgoing.end(init.body);
  });
}
