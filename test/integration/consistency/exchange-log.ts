import { sha256 } from '@tidemark/testing';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** What a proof client meant by a request; the checks group exchanges by it. */
export type Action =
  | 'head-blob'
  | 'get-blob'
  | 'start-upload'
  | 'write-chunk'
  | 'commit-upload'
  | 'mount-blob'
  | 'delete-blob'
  | 'get-manifest'
  | 'head-manifest'
  | 'put-manifest'
  | 'delete-manifest'
  | 'delete-tag';

/** A request to send, with what the checks need to know about it. */
export interface ExchangeRequest {
  readonly action: Action;
  readonly method: string;
  /** A path, or a Location value from an earlier response. */
  readonly path: string;
  readonly repository: string;
  readonly digest?: string;
  readonly tag?: string;
  readonly ifMatch?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

/** One request a proof client sent and what came back, on the test's monotonic clock. */
export interface Exchange extends Omit<ExchangeRequest, 'headers' | 'body'> {
  /** Sent as X-Request-Id, so the registry records it in the metadata of its events. */
  readonly requestId: string;
  readonly client: string;
  readonly instance: number;
  readonly startedAt: number;
  /** When the status line arrived: the registry had decided, and committed, by then. */
  readonly answeredAt: number;
  /** 0 when no response came. */
  readonly status: number;
  readonly location?: string;
  readonly contentDigest?: string;
  /** sha256 of the body, when it was read to its end. */
  readonly bodyDigest?: string;
  /** Why the body, or the whole exchange, broke off. */
  readonly failure?: string;
  readonly errorCode?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Sends requests to the registry instances and records every exchange, in order of answer. */
export class ExchangeLog {
  readonly exchanges: Exchange[] = [];

  constructor(readonly urls: readonly string[]) {}

  /** Sends `request` to instance `instance` for `client`, records it and returns the record. */
  async send(client: string, instance: number, request: ExchangeRequest): Promise<Exchange> {
    const requestId = `${client}-${randomUUID()}`;
    const url = new URL(request.path, this.urls[instance]);
    const headers = { ...request.headers, 'X-Request-Id': requestId };
    const { headers: _headers, body, ...about } = request;
    const startedAt = performance.now();
    let exchange: Exchange;
    try {
      const response = await fetch(url, {
        method: request.method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const answeredAt = performance.now();
      exchange = {
        ...about,
        requestId,
        client,
        instance,
        startedAt,
        answeredAt,
        status: response.status,
        ...optional('location', response.headers.get('location')),
        ...optional('contentDigest', response.headers.get('docker-content-digest')),
        ...(await readBody(response)),
      };
    } catch (error) {
      const answeredAt = performance.now();
      exchange = {
        ...about,
        requestId,
        client,
        instance,
        startedAt,
        answeredAt,
        status: 0,
        failure: describeError(error),
      };
    }
    this.exchanges.push(exchange);
    return exchange;
  }

  /** Returns the exchanges of `action` that got `status`. */
  find(action: Action, status?: number): Exchange[] {
    return this.exchanges.filter(
      (exchange) =>
        exchange.action === action && (status === undefined || exchange.status === status),
    );
  }
}

/** Reads a body to its end: its digest for content, its first error code for an error. */
async function readBody(
  response: Response,
): Promise<{ bodyDigest?: string; failure?: string; errorCode?: string }> {
  try {
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status < 400) {
      return { bodyDigest: sha256(body) };
    }
    const parsed = JSON.parse(body.toString() || '{}') as { errors?: { code?: string }[] };
    return optional('errorCode', parsed.errors?.[0]?.code ?? null);
  } catch (error) {
    return { failure: `body broke off: ${describeError(error)}` };
  }
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

/** The error and its cause: fetch says only "fetch failed" and keeps the reason in `cause`. */
function describeError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? String(error) : `${String(error)} (${String(cause)})`;
}
