import { once } from 'node:events';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A response whose body was small enough to read whole: status, headers and text. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request of the benchmark. A body stream is sent as it is produced, never buffered. */
export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Record<string, string | number>;
  readonly body?: Readable;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends a request and reads its (small) response. Throws only on transport failures. */
export async function send(options: HttpRequest): Promise<HttpResult> {
  const response = await open(options);
  const parts: Buffer[] = [];
  for await (const part of response) {
    parts.push(part as Buffer);
  }
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    body: Buffer.concat(parts).toString(),
  };
}

/**
 * Sends a GET and streams a 200 response's body into `into`. Returns the status; the body
 * of any other status is read and discarded.
 */
export async function download(url: URL, into: Writable): Promise<number> {
  const response = await open({ method: 'GET', url });
  if (response.statusCode !== 200) {
    response.resume();
    return response.statusCode ?? 0;
  }
  await pipeline(response, into);
  return 200;
}

async function open(options: HttpRequest): Promise<IncomingMessage> {
  const outgoing = request(options.url, {
    method: options.method,
    headers: options.headers,
    agent,
  });
  const responded = once(outgoing, 'response') as Promise<[IncomingMessage]>;
  if (options.body === undefined) {
    outgoing.end();
  } else {
    // A failed upload surfaces as the request's error or as the response the server sends.
    pipeline(options.body, outgoing).catch(() => undefined);
  }
  const [response] = await responded;
  return response;
}
