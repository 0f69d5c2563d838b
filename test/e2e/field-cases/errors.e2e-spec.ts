import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BLOB_T,
  DIGEST_T,
  OciClient,
  readOciErrors,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

// Field case F17: every 404 (and every other error) carries a code from the DS error table,
// in the DS error format, and the code says what is missing.

const ABSENT = sha256('absent from every repository');

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly codes: readonly string[];
}

describe('field case F17: error codes of missing things', () => {
  let registry: TestRegistry;
  let client: OciClient;
  let uploadOfApp: string;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    await client.pushImage('team/app', 'v1');
    await client.pushBlob('team/app', BLOB_T);
    const start = await client.request('POST', '/v2/team/app/blobs/uploads/');
    uploadOfApp = start.headers.get('location')!.split('/').pop()!;
  });

  after(async () => {
    await registry.close();
  });

  /** Sends a probe and asserts its status, error format and code. */
  async function assertProbe(probe: Probe): Promise<void> {
    const context = `${probe.method} ${probe.path}`;
    const response = await client.request(probe.method, probe.path);
    assert.equal(response.status, probe.status, context);
    if (probe.method === 'HEAD') {
      assert.equal((await response.arrayBuffer()).byteLength, 0, `${context}: HEAD sent a body`);
      return;
    }
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, context);
    const [code] = await readOciErrors(response);
    assert.ok(
      probe.codes.includes(code!),
      `${context}: ${code}, expected ${probe.codes.join(' or ')}`,
    );
  }

  function probes(status: number, codes: string[], requests: [string, string][]): Probe[] {
    return requests.map(([method, path]) => ({ method, path, status, codes }));
  }

  it('F17: answers the field reproduction with NAME_UNKNOWN, MANIFEST_UNKNOWN and BLOB_UNKNOWN', async () => {
    const cases = [
      ...probes(
        404,
        ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'],
        [['GET', '/v2/team/missing/manifests/latest']],
      ),
      ...probes(
        404,
        ['MANIFEST_UNKNOWN'],
        [
          ['GET', '/v2/team/app/manifests/nosuchtag'],
          ['GET', '/v2/team/app/manifests/.INVALID_MANIFEST_NAME'],
        ],
      ),
      ...probes(404, ['BLOB_UNKNOWN'], [['GET', `/v2/team/app/blobs/${ABSENT}`]]),
      ...probes(404, ['NAME_UNKNOWN'], [['GET', '/v2/team/missing/tags/list']]),
    ];
    for (const probe of cases) {
      await assertProbe(probe);
    }
  });

  it('F17: answers missing manifests on every manifest endpoint with MANIFEST_UNKNOWN', async () => {
    const manifestPaths = [
      '/v2/team/app/manifests/nosuchtag',
      `/v2/team/app/manifests/${ABSENT}`,
      '/v2/team/app/manifests/.INVALID_MANIFEST_NAME',
    ];
    const cases = [
      ...probes(
        404,
        ['MANIFEST_UNKNOWN'],
        manifestPaths.map((path) => ['GET', path]),
      ),
      ...probes(
        404,
        ['MANIFEST_UNKNOWN'],
        manifestPaths.map((path) => ['HEAD', path]),
      ),
      ...probes(
        404,
        ['MANIFEST_UNKNOWN'],
        manifestPaths.map((path) => ['DELETE', path]),
      ),
      ...probes(
        404,
        ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN'],
        [
          ['GET', `/v2/team/missing/manifests/${ABSENT}`],
          ['GET', '/v2/team/missing/manifests/.INVALID_MANIFEST_NAME'],
          ['HEAD', '/v2/team/missing/manifests/latest'],
          ['DELETE', '/v2/team/missing/manifests/latest'],
          ['DELETE', `/v2/team/missing/manifests/${ABSENT}`],
        ],
      ),
    ];
    for (const probe of cases) {
      await assertProbe(probe);
    }
  });

  it('F17: answers missing blobs on every blob endpoint with BLOB_UNKNOWN', async () => {
    const cases = [
      ...probes(
        404,
        ['BLOB_UNKNOWN'],
        [
          ['GET', `/v2/team/app/blobs/${ABSENT}`],
          ['HEAD', `/v2/team/app/blobs/${ABSENT}`],
          ['DELETE', `/v2/team/app/blobs/${ABSENT}`],
        ],
      ),
      ...probes(
        404,
        ['BLOB_UNKNOWN', 'NAME_UNKNOWN'],
        [
          ['GET', `/v2/team/missing/blobs/${DIGEST_T}`],
          ['HEAD', `/v2/team/missing/blobs/${DIGEST_T}`],
          ['DELETE', `/v2/team/missing/blobs/${DIGEST_T}`],
        ],
      ),
    ];
    for (const probe of cases) {
      await assertProbe(probe);
    }
  });

  it('F17: answers unknown upload sessions on every upload endpoint with BLOB_UPLOAD_UNKNOWN', async () => {
    const sessions = [
      `/v2/team/app/blobs/uploads/${randomUUID()}`,
      '/v2/team/app/blobs/uploads/not-a-session',
      `/v2/team/other/blobs/uploads/${uploadOfApp}`,
      `/v2/team/missing/blobs/uploads/${randomUUID()}`,
    ];
    for (const session of sessions) {
      const cases = probes(
        404,
        ['BLOB_UPLOAD_UNKNOWN'],
        [
          ['GET', session],
          ['PATCH', session],
          ['PUT', `${session}?digest=${DIGEST_T}`],
          ['DELETE', session],
        ],
      );
      for (const probe of cases) {
        await assertProbe(probe);
      }
    }
  });

  it('F17: answers finished and cancelled upload sessions with BLOB_UPLOAD_UNKNOWN', async () => {
    const finished = await client.request('POST', '/v2/team/app/blobs/uploads/');
    const finishedAt = finished.headers.get('location')!;
    const done = await client.request('PUT', `${finishedAt}?digest=${DIGEST_T}`, { body: BLOB_T });
    assert.equal(done.status, 201);
    const cancelled = await client.request('POST', '/v2/team/app/blobs/uploads/');
    const cancelledAt = cancelled.headers.get('location')!;
    const cancel = await client.request('DELETE', cancelledAt);
    assert.equal(cancel.status, 204);

    for (const location of [finishedAt, cancelledAt]) {
      await assertProbe({
        method: 'GET',
        path: location,
        status: 404,
        codes: ['BLOB_UPLOAD_UNKNOWN'],
      });
      await assertProbe({
        method: 'PATCH',
        path: location,
        status: 404,
        codes: ['BLOB_UPLOAD_UNKNOWN'],
      });
    }
  });

  it('F17: answers deleted manifests and unlinked blobs with MANIFEST_UNKNOWN and BLOB_UNKNOWN', async () => {
    const digest = await client.pushImage('team/deleted', 'gone', 'layer to delete');
    assert.equal(
      (await client.request('DELETE', `/v2/team/deleted/manifests/${digest}`)).status,
      202,
    );
    assert.equal(
      (await client.request('DELETE', `/v2/team/deleted/blobs/${sha256('layer to delete')}`))
        .status,
      202,
    );

    const cases = [
      ...probes(
        404,
        ['MANIFEST_UNKNOWN'],
        [
          ['GET', `/v2/team/deleted/manifests/${digest}`],
          ['GET', '/v2/team/deleted/manifests/gone'],
        ],
      ),
      ...probes(
        404,
        ['BLOB_UNKNOWN'],
        [['GET', `/v2/team/deleted/blobs/${sha256('layer to delete')}`]],
      ),
    ];
    for (const probe of cases) {
      await assertProbe(probe);
    }
  });

  it('F17: answers requests no route serves with a DS error body, never a bare framework error', async () => {
    const requests: [string, string][] = [
      ['GET', '/v2/team/app/nothing-here'],
      ['GET', '/v2/team/app/manifests/'],
      ['POST', '/v2/team/app/manifests/v1'],
      ['GET', '/v2/team/app/blobs/uploads'],
      ['GET', '/v2/team/app/manifests/%E0%A4%A'],
      ['GET', '/v3/'],
      ['GET', `/v2/${'a/'.repeat(400)}a/manifests/v1`],
      ['GET', `/v2/${'a'.repeat(1100)}/manifests/v1`],
      ['GET', `/v2/team/app/manifests/${'a'.repeat(1100)}`],
    ];
    for (const [method, path] of requests) {
      const response = await client.request(method, path);

      const context = `${method} ${path}`;
      assert.ok(
        response.status >= 400 && response.status < 500,
        `${context}: status ${response.status}`,
      );
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, context);
      await readOciErrors(response);
    }
  });
});
