import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

/** One request as it passed through the proxy on its way to the registry. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: string;
  readonly contentRange?: string;
  /** The body bytes that went through, counted (0 when there was no body). */
  readonly bodyBytes: number;
  readonly status: number;
}

/**
 * A plain-HTTP reverse proxy on 127.0.0.1 that forwards everything to a registry unchanged
 * and records each request, so a test can see how a real client shaped its uploads (one PUT,
 * one streamed PATCH, or PATCH chunks with Content-Range).
 */
export interface RecordingProxy {
  /** `127.0.0.1:<port>`, for image references. */
  readonly host: string;
  /** Every request completed so far, in the order the answers came. */
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a recording proxy for the registry at `upstream` on a free port. */
export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const target = new URL(upstream);
  const server = createServer((incoming, outgoing) => {
    let bodyBytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bodyBytes += chunk.length;
        done(null, chunk);
      },
    });
    const { method, url: path, headers } = incoming;
    const forward = request(
      { host: target.hostname, port: target.port, method, path, headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        answer.once('end', () =>
          requests.push(record(incoming, bodyBytes, answer.statusCode ?? 502)),
        );
      },
    );
    forward.once('error', () =>
      outgoing.headersSent ? outgoing.destroy() : outgoing.writeHead(502).end(),
    );
    incoming.pipe(counter).pipe(forward);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => closeServer(server),
  };
}

function record(incoming: IncomingMessage, bodyBytes: number, status: number): RecordedRequest {
  const contentRange = incoming.headers['content-range'];
  return {
    method: incoming.method ?? '',
    url: incoming.url ?? '',
    ...(contentRange === undefined ? {} : { contentRange }),
    bodyBytes,
    status,
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((closed, failed) =>
    server.close((error) => (error ? failed(error) : closed())),
  );
}
