import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  BLOB_E,
  DIGEST_E,
  imageManifest,
  OciClient,
  patternedBytes,
  readOciErrors,
  sha256,
  startRegistryReplica,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

// Field case F09: ranged blob reads answer 206 with Content-Range from the first read on,
// for every kind of blob the endpoint serves, and 416 when the range cannot be satisfied.

const BIG_SIZE = 25471156;
const FIRST_8_MIB = 8388608;

describe('field case F09: ranged blob GET', () => {
  let registry: TestRegistry;
  let client: OciClient;
  const big = patternedBytes(BIG_SIZE, 9);
  const bigDigest = sha256(big);

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    await client.pushBlob('team/app', big);
  });

  after(async () => {
    await registry.close();
  });

  /** Asserts a 206 for `range` of `content` and returns nothing else of note. */
  async function assertPartial(
    response: Response,
    content: Buffer,
    range: { start: number; end: number },
  ): Promise<void> {
    const context = `${response.url} bytes ${range.start}-${range.end}`;
    assert.equal(response.status, 206, context);
    assert.equal(
      response.headers.get('content-range'),
      `bytes ${range.start}-${range.end}/${content.length}`,
      context,
    );
    assert.equal(
      response.headers.get('content-length'),
      String(range.end - range.start + 1),
      context,
    );
    const body = Buffer.from(await response.arrayBuffer());
    assert.ok(body.equals(content.subarray(range.start, range.end + 1)), `${context}: wrong bytes`);
  }

  it('F09: answers the first ranged read on a cold instance with 206, and every later one the same', async () => {
    const replica = await startRegistryReplica(registry);
    try {
      const cold = new OciClient(replica.url);
      const range = { start: 0, end: FIRST_8_MIB - 1 };
      const headers = { Range: `bytes=0-${FIRST_8_MIB - 1}` };

      for (const reader of [cold, cold, client]) {
        const response = await reader.request('GET', `/v2/team/app/blobs/${bigDigest}`, {
          headers,
        });
        await assertPartial(response, big, range);
      }
    } finally {
      await replica.close();
    }
  });

  it('F09: serves open-ended and suffix ranges, and 416 with Content-Range beyond the end', async () => {
    const path = `/v2/team/app/blobs/${bigDigest}`;

    const tail = await client.request('GET', path, { headers: { Range: 'bytes=25471150-' } });
    await assertPartial(tail, big, { start: BIG_SIZE - 6, end: BIG_SIZE - 1 });
    const suffix = await client.request('GET', path, { headers: { Range: 'bytes=-6' } });
    await assertPartial(suffix, big, { start: BIG_SIZE - 6, end: BIG_SIZE - 1 });

    const beyond = await client.request('GET', path, { headers: { Range: 'bytes=30000000-' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${BIG_SIZE}`);
    await readOciErrors(beyond);
  });

  it('F09: answers HEAD with 200, the full Content-Length and Accept-Ranges, with or without Range', async () => {
    for (const headers of [{}, { Range: 'bytes=0-9' }] as Record<string, string>[]) {
      const head = await client.request('HEAD', `/v2/team/app/blobs/${bigDigest}`, { headers });

      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(BIG_SIZE));
      assert.equal(head.headers.get('accept-ranges'), 'bytes');
      assert.equal(head.headers.get('content-range'), null);
    }
  });

  it('F09: serves ranges of a small blob and of a mounted blob alike', async () => {
    const small = patternedBytes(100, 10);
    await client.pushBlob('team/base', small);
    const mount = await client.request(
      'POST',
      `/v2/team/mounted/blobs/uploads/?mount=${sha256(small)}&from=team/base`,
    );
    assert.equal(mount.status, 201);

    for (const repository of ['team/base', 'team/mounted']) {
      const path = `/v2/${repository}/blobs/${sha256(small)}`;
      for (const [header, start, end] of [
        ['bytes=0-0', 0, 0],
        ['bytes=10-19', 10, 19],
        ['bytes=90-500', 90, 99],
        ['bytes=-1', 99, 99],
      ] as const) {
        const response = await client.request('GET', path, { headers: { Range: header } });
        await assertPartial(response, small, { start, end });
      }
    }
  });

  it('F09: answers any range of an empty blob with 416 and bytes */0, and a plain read with 200', async () => {
    const empty = await client.pushBlob('team/app', Buffer.alloc(0));
    const path = `/v2/team/app/blobs/${empty}`;

    for (const range of ['bytes=0-', 'bytes=0-0', 'bytes=-1']) {
      const response = await client.request('GET', path, { headers: { Range: range } });
      assert.equal(response.status, 416, range);
      assert.equal(response.headers.get('content-range'), 'bytes */0', range);
      await readOciErrors(response);
    }
    const whole = await client.request('GET', path);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), '0');
    const head = await client.request('HEAD', path, { headers: { Range: 'bytes=0-' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '0');
  });

  it('F09: serves ranges of a manifest read through the blobs endpoint', async () => {
    await client.pushBlob('team/app', BLOB_E);
    const manifest = Buffer.from(
      JSON.stringify(imageManifest({ digest: DIGEST_E, size: 2 }, [{ digest: DIGEST_E, size: 2 }])),
    );
    const digest = await client.pushManifest('team/app', 'ranged', manifest.toString());
    const path = `/v2/team/app/blobs/${digest}`;

    const head = await client.request('HEAD', path);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(manifest.length));

    const part = await client.request('GET', path, { headers: { Range: 'bytes=2-11' } });
    await assertPartial(part, manifest, { start: 2, end: 11 });
    const beyond = await client.request('GET', path, {
      headers: { Range: `bytes=${manifest.length}-` },
    });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${manifest.length}`);
    await readOciErrors(beyond);
  });
});
