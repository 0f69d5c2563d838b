import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  BLOB_T,
  DIGEST_T,
  imageManifest,
  OciClient,
  OCTET_STREAM_HEADERS,
  sha256,
  startTestRegistry,
  startTlsProxy,
  withQuery,
  type ProxiedResponse,
  type TestRegistry,
  type TlsProxy,
} from '@tidemark/testing';

// Field case F01: behind a proxy that terminates TLS, every Location the registry sends must
// keep the client on https://registry.local: either a relative reference, or an absolute URL
// with that scheme and authority (RFC 7231 section 7.1.2).

describe('field case F01: Location behind a TLS-terminating proxy', () => {
  let registry: TestRegistry;
  let proxy: TlsProxy;

  before(async () => {
    registry = await startTestRegistry();
    proxy = await startTlsProxy(registry.url, 'registry.local');
  });

  after(async () => {
    await proxy.close();
    await registry.close();
  });

  /** Asserts the raw Location keeps the client on the proxy's origin and names `path`. */
  function assertLocation(response: ProxiedResponse, path: RegExp): string {
    const location = response.header('location');
    assert.ok(location, `no Location from ${response.url}`);
    const isRelative = location.startsWith('/') && !location.startsWith('//');
    assert.ok(
      isRelative || location.startsWith(`${proxy.origin}/`),
      `Location ${location} leaves ${proxy.origin}`,
    );
    assert.match(new URL(location, proxy.origin).pathname, path);
    return location;
  }

  const UPLOAD_PATH = /^\/v2\/team\/app\/blobs\/uploads\/[^/]+$/;
  const BLOB_T_PATH = new RegExp(`^/v2/team/app/blobs/${DIGEST_T}$`);

  it('F01: keeps https in the Location of POST and of the closing PUT', async () => {
    const start = await proxy.request('POST', '/v2/team/app/blobs/uploads/');
    assert.equal(start.status, 202);
    const location = assertLocation(start, UPLOAD_PATH);

    const done = await proxy.request('PUT', withQuery(location, `digest=${DIGEST_T}`), {
      headers: OCTET_STREAM_HEADERS,
      body: BLOB_T,
    });
    assert.equal(done.status, 201);
    assert.equal(done.header('docker-content-digest'), DIGEST_T);
    const blob = assertLocation(done, BLOB_T_PATH);

    const fetched = await proxy.request('GET', blob);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, BLOB_T);
  });

  it('F01: keeps https in the Location of every PATCH and of the upload status GET', async () => {
    const content = Buffer.from('chunked through the proxy\n');
    const start = await proxy.request('POST', '/v2/team/app/blobs/uploads/');
    let location = assertLocation(start, UPLOAD_PATH);

    for (const [from, to] of [
      [0, 9],
      [10, content.length - 1],
    ] as const) {
      const chunk = await proxy.request('PATCH', location, {
        headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': `${from}-${to}` },
        body: content.subarray(from, to + 1),
      });
      assert.equal(chunk.status, 202);
      location = assertLocation(chunk, UPLOAD_PATH);

      const status = await proxy.request('GET', location);
      assert.equal(status.status, 204);
      location = assertLocation(status, UPLOAD_PATH);
    }

    const done = await proxy.request('PUT', withQuery(location, `digest=${sha256(content)}`));
    assert.equal(done.status, 201);
    assertLocation(done, new RegExp(`^/v2/team/app/blobs/${sha256(content)}$`));
  });

  it('F01: keeps https in the Location of a monolithic POST and of a mount', async () => {
    const whole = await proxy.request('POST', `/v2/team/base/blobs/uploads/?digest=${DIGEST_T}`, {
      headers: OCTET_STREAM_HEADERS,
      body: BLOB_T,
    });
    assert.equal(whole.status, 201);
    assertLocation(whole, new RegExp(`^/v2/team/base/blobs/${DIGEST_T}$`));

    const mount = await proxy.request(
      'POST',
      `/v2/team/mounted/blobs/uploads/?mount=${DIGEST_T}&from=team/base`,
    );
    assert.equal(mount.status, 201);
    assertLocation(mount, new RegExp(`^/v2/team/mounted/blobs/${DIGEST_T}$`));

    const fallback = await proxy.request(
      'POST',
      `/v2/team/mounted/blobs/uploads/?mount=${sha256('absent')}&from=team/base`,
    );
    assert.equal(fallback.status, 202);
    assertLocation(fallback, /^\/v2\/team\/mounted\/blobs\/uploads\/[^/]+$/);
  });

  it('F01: keeps https in the Location of a manifest PUT', async () => {
    const client = new OciClient(registry.url);
    const config = await client.pushBlob('team/app', '{"os":"linux"}');
    await client.pushBlob('team/app', BLOB_T);
    const manifest = JSON.stringify(
      imageManifest({ digest: config, size: 14 }, [{ digest: DIGEST_T, size: 5 }]),
    );

    const pushed = await proxy.request('PUT', '/v2/team/app/manifests/v1', {
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });

    assert.equal(pushed.status, 201);
    assertLocation(pushed, new RegExp(`^/v2/team/app/manifests/${sha256(manifest)}$`));
  });
});
