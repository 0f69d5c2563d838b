import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  BLOB_T,
  DIGEST_T,
  imageIndex,
  locationPath,
  OciClient,
  OCTET_STREAM_HEADERS,
  sha256,
  startTestRegistry,
  withQuery,
  type TestRegistry,
} from '@tidemark/testing';

// Field case F14: a cross-repository mount the registry cannot or will not perform starts an
// ordinary upload session (202) instead of failing; one it can perform answers 201.

describe('field case F14: POST /v2/:name/blobs/uploads/?mount=', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    await client.pushBlob('team/base', BLOB_T);
  });

  after(async () => {
    await registry.close();
  });

  /** Asserts a 202 that opened a usable session: PUT of T through it answers 201. */
  async function assertFallbackSession(response: Response, repository: string): Promise<void> {
    assert.equal(response.status, 202, `${response.url}: status`);
    const location = response.headers.get('location');
    assert.match(
      locationPath(response) ?? '',
      new RegExp(`^/v2/${repository}/blobs/uploads/[^/]+$`),
    );
    const done = await client.request('PUT', withQuery(location!, `digest=${DIGEST_T}`), {
      headers: OCTET_STREAM_HEADERS,
      body: BLOB_T,
    });
    assert.equal(done.status, 201, `${response.url}: closing PUT`);
  }

  /** Asserts a 201 mount of T into `repository`, then that the blob is served there. */
  async function assertMounted(response: Response, repository: string): Promise<void> {
    assert.equal(response.status, 201, `${response.url}: status`);
    assert.equal(locationPath(response), `/v2/${repository}/blobs/${DIGEST_T}`);
    assert.equal(response.headers.get('docker-content-digest'), DIGEST_T);
    const blob = await client.request('GET', `/v2/${repository}/blobs/${DIGEST_T}`);
    assert.equal(blob.status, 200);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), BLOB_T);
  }

  it('F14: mounts or starts an upload when `from` is missing, never a 4xx', async () => {
    const response = await client.request('POST', `/v2/team/app/blobs/uploads/?mount=${DIGEST_T}`);

    assert.ok([201, 202].includes(response.status), `status ${response.status}`);
    if (response.status === 201) {
      await assertMounted(response, 'team/app');
      return;
    }
    await assertFallbackSession(response, 'team/app');
  });

  it('F14: mounts a blob `from` holds with 201', async () => {
    const response = await client.request(
      'POST',
      `/v2/team/mounted/blobs/uploads/?mount=${DIGEST_T}&from=team/base`,
    );

    await assertMounted(response, 'team/mounted');
  });

  it('F14: starts an upload with 202 when `from` does not hold the digest', async () => {
    const response = await client.request(
      'POST',
      `/v2/team/app-unknown/blobs/uploads/?mount=${sha256('nowhere')}&from=team/base`,
    );

    await assertFallbackSession(response, 'team/app-unknown');
  });

  it('F14: starts an upload with 202 when `from` does not exist', async () => {
    const response = await client.request(
      'POST',
      `/v2/team/app-nonexistent/blobs/uploads/?mount=${DIGEST_T}&from=team/nonexistent`,
    );

    await assertFallbackSession(response, 'team/app-nonexistent');
  });

  for (const query of [
    `mount=not-a-digest&from=team/base`,
    `mount=${DIGEST_T}&from=Not//A/Name`,
    `mount=&from=team/base`,
    `from=team/base`,
  ]) {
    it(`F14: starts an upload with 202 for the unusable mount request ?${query}`, async () => {
      const response = await client.request('POST', `/v2/team/app-odd/blobs/uploads/?${query}`);

      await assertFallbackSession(response, 'team/app-odd');
    });
  }

  it('F14: mounts or starts an upload when the digest names a manifest, never a 4xx', async () => {
    const manifest = JSON.stringify(imageIndex([]));
    const digest = await client.pushManifest('team/base', 'index', manifest);

    const response = await client.request(
      'POST',
      `/v2/team/app-manifest/blobs/uploads/?mount=${digest}&from=team/base`,
    );

    assert.ok([201, 202].includes(response.status), `status ${response.status}`);
    assert.ok(response.headers.get('location'));
  });
});
