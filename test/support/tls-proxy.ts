import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A response read whole through the proxy, with its headers exactly as sent. */
export interface ProxiedResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Returns one header's raw value, or undefined. */
  header(name: string): string | undefined;
}

/**
 * A TLS-terminating reverse proxy in front of a plain-HTTP registry, as field case F01
 * describes: it forwards `Host` unchanged and adds `X-Forwarded-Proto: https`.
 */
export interface TlsProxy {
  /** What clients believe they talk to, e.g. `https://registry.local`. */
  readonly origin: string;
  /**
   * Sends a request to a path or an absolute URL resolved against `origin`, over TLS to the
   * proxy on 127.0.0.1. Throws when the URL names another scheme or host, which is what a
   * real client would then have contacted instead.
   */
  request(
    method: string,
    target: string,
    init?: { headers?: Record<string, string>; body?: Buffer | string },
  ): Promise<ProxiedResponse>;
  close(): Promise<void>;
}

/** Starts a TLS proxy for `upstream` on a free port of 127.0.0.1, with a fresh self-signed certificate. */
export async function startTlsProxy(
  upstream: string,
  publicHost = 'registry.local',
): Promise<TlsProxy> {
  const certificate = await selfSignedCertificate(publicHost);
  const server = createServer(
    { key: certificate.key, cert: certificate.cert },
    (incoming, outgoing) => {
      const target = new URL(upstream);
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: {
            ...incoming.headers,
            'x-forwarded-proto': 'https',
            'x-forwarded-host': incoming.headers.host,
            'x-forwarded-for': incoming.socket.remoteAddress,
          },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.once('error', () =>
        outgoing.headersSent ? outgoing.destroy() : outgoing.writeHead(502).end(),
      );
      incoming.pipe(forward);
    },
  );
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const port = (server.address() as AddressInfo).port;
  const origin = `https://${publicHost}`;
  return {
    origin,
    request: (method, target, init = {}) =>
      sendOverTls({ origin, port, ca: certificate.cert, method, target, ...init }),
    close: () => closeServer(server),
  };
}

async function selfSignedCertificate(host: string): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'tidemark-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-nodes',
      '-days',
      '1',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host},IP:127.0.0.1`,
    ]);
    return {
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function sendOverTls(options: {
  origin: string;
  port: number;
  ca: Buffer;
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}): Promise<ProxiedResponse> {
  const url = new URL(options.target, `${options.origin}/`);
  if (url.origin !== options.origin) {
    return Promise.reject(new Error(`refusing to leave ${options.origin} for ${url.href}`));
  }
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: options.port,
        servername: url.hostname,
        ca: options.ca,
        method: options.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...options.headers, host: url.host, 'content-length': String(body.length) },
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.once('error', reject);
        response.once('end', () =>
          resolve({
            url: url.href,
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(parts),
            header: (name) =>
              [response.headers[name.toLowerCase()] ?? []].flat().join(', ') || undefined,
          }),
        );
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((closed, failed) =>
    server.close((error) => (error ? failed(error) : closed())),
  );
}
