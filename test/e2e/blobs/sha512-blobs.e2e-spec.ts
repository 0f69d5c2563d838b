import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertOciError,
  locationPath,
  OciClient,
  OCTET_STREAM_HEADERS,
  patternedBytes,
  startTestRegistry,
  withQuery,
  type TestRegistry,
} from '@tidemark/testing';

// DS v1.1 allows sha512 digests next to sha256. Tidemark keeps a running sha256 across
// chunks but finishes a sha512 by re-reading the upload, so both upload shapes are pushed
// and pulled here by sha512, and a wrong sha512 must leave nothing behind.

const REPOSITORY = 'team/sha512';

function sha512(content: Buffer): string {
  return `sha512:${createHash('sha512').update(content).digest('hex')}`;
}

describe('sha512 blobs', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry.close();
  });

  async function startUpload(): Promise<string> {
    const started = await client.request('POST', `/v2/${REPOSITORY}/blobs/uploads/`);
    assert.equal(started.status, 202);
    return started.headers.get('location')!;
  }

  /** Sends `content` in PATCHes of `chunkSize` bytes and returns the last Location. */
  async function patchInChunks(
    location: string,
    content: Buffer,
    chunkSize: number,
  ): Promise<string> {
    let next = location;
    for (let start = 0; start < content.length; start += chunkSize) {
      const chunk = content.subarray(start, start + chunkSize);
      const range = `${start}-${start + chunk.length - 1}`;
      const headers = { ...OCTET_STREAM_HEADERS, 'Content-Range': range };
      const response = await client.request('PATCH', next, { headers, body: chunk });
      assert.equal(response.status, 202);
      next = response.headers.get('location')!;
    }
    return next;
  }

  /** Asserts a 201 that names the blob `digest` in Location and Docker-Content-Digest. */
  function assertCommitted(response: Response, digest: string): void {
    assert.equal(response.status, 201);
    assert.equal(locationPath(response), `/v2/${REPOSITORY}/blobs/${digest}`);
    assert.equal(response.headers.get('docker-content-digest'), digest);
  }

  /** Asserts GET and HEAD serve `content` under `digest`. */
  async function assertServed(digest: string, content: Buffer): Promise<void> {
    const head = await client.request('HEAD', `/v2/${REPOSITORY}/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), digest);
    assert.equal(head.headers.get('content-length'), String(content.length));
    const get = await client.request('GET', `/v2/${REPOSITORY}/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('docker-content-digest'), digest);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), content);
  }

  /** Asserts nothing of a refused upload is visible: no event, no blob, no session. */
  async function assertNothingKept(digest: string, session?: string): Promise<void> {
    const events = await registry.database.query(
      "SELECT 1 FROM events WHERE payload->>'digest' = $1",
      [digest],
    );
    assert.deepEqual(events, []);
    const blob = await client.request('GET', `/v2/${REPOSITORY}/blobs/${digest}`);
    await assertOciError(blob, 404, 'BLOB_UNKNOWN');
    if (session !== undefined) {
      const status = await client.request('GET', session);
      await assertOciError(status, 404, 'BLOB_UPLOAD_UNKNOWN');
    }
  }

  describe('pushing and pulling', () => {
    it('stores a blob pushed with a single POST ?digest=sha512', async () => {
      const content = patternedBytes(70_000, 11);
      const digest = sha512(content);
      const response = await client.request(
        'POST',
        `/v2/${REPOSITORY}/blobs/uploads/?digest=${digest}`,
        { headers: OCTET_STREAM_HEADERS, body: content },
      );
      assertCommitted(response, digest);
      await assertServed(digest, content);
    });

    it('stores a blob pushed with POST then PUT by sha512', async () => {
      const content = patternedBytes(90_000, 12);
      const digest = sha512(content);
      const location = withQuery(await startUpload(), `digest=${digest}`);
      const response = await client.request('PUT', location, {
        headers: OCTET_STREAM_HEADERS,
        body: content,
      });
      assertCommitted(response, digest);
      await assertServed(digest, content);
    });

    it('stores a blob pushed in chunks and closed by sha512', async () => {
      const content = patternedBytes(250_000, 13);
      const digest = sha512(content);
      const last = await patchInChunks(await startUpload(), content, 64_000);
      const response = await client.request('PUT', withQuery(last, `digest=${digest}`));
      assertCommitted(response, digest);
      await assertServed(digest, content);
    });

    it('serves a range of a sha512 blob', async () => {
      const content = patternedBytes(10_000, 14);
      const digest = sha512(content);
      const last = await patchInChunks(await startUpload(), content, 4_000);
      assertCommitted(await client.request('PUT', withQuery(last, `digest=${digest}`)), digest);

      const range = await client.request('GET', `/v2/${REPOSITORY}/blobs/${digest}`, {
        headers: { Range: 'bytes=100-199' },
      });
      assert.equal(range.status, 206);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), content.subarray(100, 200));
    });
  });

  describe('a sha512 the bytes do not have', () => {
    const wrong = sha512(Buffer.from('other bytes'));

    it('refuses a monolithic PUT with DIGEST_INVALID and keeps nothing', async () => {
      const session = await startUpload();
      const response = await client.request('PUT', withQuery(session, `digest=${wrong}`), {
        headers: OCTET_STREAM_HEADERS,
        body: patternedBytes(5_000, 15),
      });
      await assertOciError(response, 400, 'DIGEST_INVALID');
      await assertNothingKept(wrong, session);
    });

    it('refuses a chunked upload closed by it with DIGEST_INVALID and keeps nothing', async () => {
      const session = await startUpload();
      const last = await patchInChunks(session, patternedBytes(150_000, 16), 50_000);
      const response = await client.request('PUT', withQuery(last, `digest=${wrong}`));
      await assertOciError(response, 400, 'DIGEST_INVALID');
      await assertNothingKept(wrong, last);
    });

    it('refuses a single POST with DIGEST_INVALID and keeps nothing', async () => {
      const response = await client.request(
        'POST',
        `/v2/${REPOSITORY}/blobs/uploads/?digest=${wrong}`,
        { headers: OCTET_STREAM_HEADERS, body: patternedBytes(5_000, 17) },
      );
      await assertOciError(response, 400, 'DIGEST_INVALID');
      await assertNothingKept(wrong);
    });
  });
});
