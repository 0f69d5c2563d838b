import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { TidemarkConfig } from '@tidemark/config';
import {
  descriptorOf,
  expectStatus,
  imageManifest,
  OCI_MANIFEST,
  OciClient,
  OCTET_STREAM_HEADERS,
  startTestRegistry,
  withQuery,
  type TestRegistry,
} from '@tidemark/testing';

// Every event records who caused it and through which request: actor, client address, user
// agent, request id and time (DESIGN, "Events"). These cases push over HTTP and read the
// metadata back from the events table. Behind a proxy the peer is the proxy, so the client
// address comes from X-Forwarded-For, and only when the peer is a proxy we were told to trust.

const USER_AGENT = 'tidemark-e2e/1.0 (event metadata)';
const CONFIG = JSON.stringify({ architecture: 'amd64', os: 'linux' });
const LAYER = 'a layer with metadata';

interface RecordedMetadata {
  readonly type: string;
  readonly metadata: Record<string, string>;
}

/** Sends a request with a user agent, a request id and more headers; asserts its status. */
async function send(
  client: OciClient,
  request: { method: string; path: string; status: number; requestId: string },
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const headers = { 'User-Agent': USER_AGENT, 'X-Request-Id': request.requestId, ...init.headers };
  const response = await client.request(request.method, request.path, { ...init, headers });
  expectStatus(response, request.status);
  return response;
}

/**
 * Pushes a blob (POST, PATCH, PUT) and a manifest by tag, every request with `headers` and
 * request ids starting with `prefix`. Returns the events the pushes recorded.
 */
async function pushWithMetadata(
  registry: TestRegistry,
  prefix: string,
  headers: Record<string, string> = {},
): Promise<RecordedMetadata[]> {
  const client = new OciClient(registry.url);
  const repository = `events/${prefix}`;
  await client.pushBlob(repository, CONFIG);
  await pushLayer(client, repository, prefix, headers);
  const manifest = JSON.stringify(imageManifest(descriptorOf(CONFIG), [descriptorOf(LAYER)]));
  const path = `/v2/${repository}/manifests/v1`;
  await send(
    client,
    { method: 'PUT', path, status: 201, requestId: `${prefix}-manifest` },
    { headers: { 'Content-Type': OCI_MANIFEST, ...headers }, body: manifest },
  );
  return registry.database.query<RecordedMetadata>(
    `SELECT type, metadata FROM events WHERE metadata->>'requestId' LIKE $1 ORDER BY position`,
    [`${prefix}-%`],
  );
}

/** Uploads LAYER with POST, one PATCH and a closing PUT, each sent with `headers`. */
async function pushLayer(
  client: OciClient,
  repository: string,
  prefix: string,
  headers: Record<string, string>,
): Promise<void> {
  const path = `/v2/${repository}/blobs/uploads/`;
  const post = { method: 'POST', path, status: 202, requestId: `${prefix}-post` };
  const started = await send(client, post, { headers });
  const patch = {
    method: 'PATCH',
    path: started.headers.get('location')!,
    status: 202,
    requestId: `${prefix}-patch`,
  };
  const patched = await send(client, patch, {
    headers: { ...OCTET_STREAM_HEADERS, ...headers },
    body: LAYER,
  });
  const location = withQuery(
    patched.headers.get('location')!,
    `digest=${descriptorOf(LAYER).digest}`,
  );
  const put = { method: 'PUT', path: location, status: 201, requestId: `${prefix}-blob` };
  await send(client, put, { headers });
}

/** Starts a registry with `trustProxy`, runs the cases in `body`, and closes it after. */
function withRegistry(
  trustProxy: TidemarkConfig['trustProxy'],
  body: (registry: () => TestRegistry) => void,
): void {
  let registry: TestRegistry;
  before(async () => {
    registry = await startTestRegistry({ trustProxy });
  });
  after(async () => {
    await registry.close();
  });
  body(() => registry);
}

describe('event metadata recorded from HTTP requests', () => {
  describe('without a trusted proxy (the default)', () => {
    withRegistry(false, (registry) => {
      it('records actor, client address, user agent, request id and time on every event', async () => {
        const startedAt = Date.now();
        const events = await pushWithMetadata(registry(), 'direct');

        assert.deepEqual(
          events.map((event) => [event.type, event.metadata.requestId]),
          [
            ['BlobPushed', 'direct-blob'],
            ['ManifestPushed', 'direct-manifest'],
            ['TagMoved', 'direct-manifest'],
          ],
        );
        for (const { metadata } of events) {
          const { time, ...rest } = metadata;
          assert.deepEqual(rest, {
            actor: 'anonymous',
            clientAddress: '127.0.0.1',
            userAgent: USER_AGENT,
            requestId: metadata.requestId,
          });
          assert.ok(Date.parse(time!) >= startedAt - 1000 && Date.parse(time!) <= Date.now());
        }
      });

      it('records the peer, not an X-Forwarded-For the client sent itself', async () => {
        const events = await pushWithMetadata(registry(), 'spoofed', {
          'X-Forwarded-For': '203.0.113.7',
        });
        assert.equal(events.length, 3);
        assert.ok(events.every((event) => event.metadata.clientAddress === '127.0.0.1'));
      });

      it('records the request id it answers with when the client sent none', async () => {
        const client = new OciClient(registry().url);
        const response = await client.request('DELETE', `/v2/events/direct/manifests/v1`);
        assert.equal(response.status, 202);
        const requestId = response.headers.get('x-request-id');
        assert.ok(requestId);
        const [event] = await registry().database.query<RecordedMetadata>(
          `SELECT type, metadata FROM events WHERE metadata->>'requestId' = $1`,
          [requestId],
        );
        assert.equal(event?.type, 'TagDeleted');
      });
    });
  });

  describe('behind a proxy listed in TIDEMARK_TRUST_PROXY', () => {
    withRegistry(['127.0.0.1'], (registry) => {
      it('records the client that the proxy names in X-Forwarded-For', async () => {
        const events = await pushWithMetadata(registry(), 'proxied', {
          'X-Forwarded-For': '203.0.113.7',
        });
        assert.equal(events.length, 3);
        assert.ok(events.every((event) => event.metadata.clientAddress === '203.0.113.7'));
      });

      it('records the address the proxy saw, not one the client put before it', async () => {
        const events = await pushWithMetadata(registry(), 'chained', {
          'X-Forwarded-For': '198.51.100.1, 203.0.113.7',
        });
        assert.equal(events.length, 3);
        assert.ok(events.every((event) => event.metadata.clientAddress === '203.0.113.7'));
      });
    });
  });

  describe('behind a proxy that is not the one trusted', () => {
    withRegistry(['10.0.0.0/8'], (registry) => {
      it('ignores X-Forwarded-For from a peer outside the trusted blocks', async () => {
        const events = await pushWithMetadata(registry(), 'untrusted', {
          'X-Forwarded-For': '203.0.113.7',
        });
        assert.equal(events.length, 3);
        assert.ok(events.every((event) => event.metadata.clientAddress === '127.0.0.1'));
      });
    });
  });
});
