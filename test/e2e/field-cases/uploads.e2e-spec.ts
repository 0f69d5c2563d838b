import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  assertOciError,
  BLOB_T,
  DIGEST_T,
  locationPath,
  OciClient,
  OCTET_STREAM_HEADERS,
  patternedBytes,
  readOciErrors,
  sha256,
  startTestRegistry,
  withQuery,
  type TestRegistry,
} from '@tidemark/testing';

// Field cases F02, F03 and F04: the status codes and headers of chunked and "POST then PUT"
// uploads, and how the registry answers chunks that do not fit.

const UPLOAD_RANGE = /^0-[0-9]+$/;

describe('field cases: blob uploads', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry.close();
  });

  /** Starts an upload session and returns its Location. */
  async function startUpload(repository: string): Promise<string> {
    const response = await client.request('POST', `/v2/${repository}/blobs/uploads/`);
    assert.equal(response.status, 202);
    return locationOf(response);
  }

  /** Sends one PATCH and returns the response. */
  function patch(location: string, body: Buffer, contentRange?: string): Promise<Response> {
    const headers = {
      ...OCTET_STREAM_HEADERS,
      ...(contentRange === undefined ? {} : { 'Content-Range': contentRange }),
    };
    return client.request('PATCH', location, { headers, body });
  }

  /** Asserts the status GET reports `expectedRange` and returns the session's Location. */
  async function assertUploadStatus(location: string, expectedRange: string): Promise<string> {
    const status = await client.request('GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), expectedRange);
    return locationOf(status);
  }

  describe('PATCH /v2/:name/blobs/uploads/:id', () => {
    it('F02: answers every chunk PATCH with 202, Location and Range', async () => {
      const location = await startUpload('team/app');

      const chunk = await patch(location, BLOB_T, '0-4');
      assert.equal(chunk.status, 202);
      assert.equal(chunk.headers.get('range'), '0-4');
      const next = locationOf(chunk);
      assert.match(next, /\/v2\/team\/app\/blobs\/uploads\/[^/]+$/);

      const done = await client.request('PUT', withQuery(next, `digest=${DIGEST_T}`));
      assert.equal(done.status, 201);
      assert.equal(locationPath(done), `/v2/team/app/blobs/${DIGEST_T}`);
      assert.equal(done.headers.get('docker-content-digest'), DIGEST_T);

      const blob = await client.request('GET', `/v2/team/app/blobs/${DIGEST_T}`);
      assert.equal(blob.status, 200);
      assert.equal(blob.headers.get('docker-content-digest'), DIGEST_T);
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), BLOB_T);
    });

    it('F02: answers 202 with an advancing Range for streamed chunks without Content-Range', async () => {
      const content = patternedBytes(3000, 2);
      let location = await startUpload('team/app');

      for (const [start, end] of [
        [0, 999],
        [1000, 1999],
        [2000, 2999],
      ] as const) {
        const chunk = await patch(location, content.subarray(start, end + 1));
        assert.equal(chunk.status, 202);
        assert.equal(chunk.headers.get('range'), `0-${end}`);
        location = locationOf(chunk);
      }

      const done = await client.request('PUT', withQuery(location, `digest=${sha256(content)}`));
      assert.equal(done.status, 201);
      assert.equal(done.headers.get('docker-content-digest'), sha256(content));
    });

    it('F03: answers a chunk that does not start at the current offset with 416 and keeps the session', async () => {
      const location = await patchFirstTenBytes(await startUpload('team/app'));

      const gap = await patch(location, Buffer.alloc(5, 1), '20-24');
      assert.equal(gap.status, 416);
      await readOciErrors(gap);
      const overlap = await patch(location, Buffer.alloc(5, 1), '5-9');
      assert.equal(overlap.status, 416);
      await readOciErrors(overlap);

      await assertUploadStatus(location, '0-9');
    });

    for (const contentRange of [
      '5',
      'a-b',
      '-3',
      '',
      '3-1',
      '0-',
      'bytes=x-y',
      '99999999999999999999-1',
    ]) {
      it(`F03: answers a PATCH with the malformed Content-Range "${contentRange}" with a 4xx`, async () => {
        const location = await patchFirstTenBytes(await startUpload('team/app'));

        const response = await patch(location, Buffer.alloc(3, 7), contentRange);
        assert.ok([400, 416].includes(response.status), `status ${response.status}`);
        await readOciErrors(response);

        await assertUploadStatus(location, '0-9');
      });
    }
  });

  describe('GET /v2/:name/blobs/uploads/:id', () => {
    it('F03: reports a well-formed Range for a session that has received no bytes', async () => {
      const location = await startUpload('team/app');

      const status = await client.request('GET', location);

      assert.equal(status.status, 204);
      assert.match(status.headers.get('range') ?? '', UPLOAD_RANGE);
      assert.ok(status.headers.get('location'));
    });
  });

  describe('PUT /v2/:name/blobs/uploads/:id', () => {
    it('F03: answers a final chunk that leaves a gap with 416, then accepts the right one', async () => {
      const content = patternedBytes(20, 3);
      const digest = sha256(content);
      const location = await patchFirstTenBytes(await startUpload('team/app'), content);

      const gap = await client.request('PUT', withQuery(location, `digest=${digest}`), {
        headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': '20-29' },
        body: patternedBytes(10, 4),
      });
      assert.equal(gap.status, 416);
      await readOciErrors(gap);

      const resumed = await assertUploadStatus(location, '0-9');
      const done = await client.request('PUT', withQuery(resumed, `digest=${digest}`), {
        headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': '10-19' },
        body: content.subarray(10),
      });
      assert.equal(done.status, 201);
      assert.equal(done.headers.get('docker-content-digest'), digest);
    });

    for (const contentRange of ['5', 'a-b', '-3', '3-1', '0-']) {
      it(`F03: answers a closing PUT with the malformed Content-Range "${contentRange}" with a 4xx`, async () => {
        const location = await patchFirstTenBytes(await startUpload('team/app'));

        const response = await client.request('PUT', withQuery(location, `digest=${DIGEST_T}`), {
          headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': contentRange },
          body: BLOB_T,
        });
        assert.ok([400, 416].includes(response.status), `status ${response.status}`);
        await readOciErrors(response);

        await assertUploadStatus(location, '0-9');
      });
    }

    it('F04: takes the whole blob from the body of the closing PUT', async () => {
      const location = await startUpload('team/chart');

      const done = await client.request('PUT', withQuery(location, `digest=${DIGEST_T}`), {
        headers: OCTET_STREAM_HEADERS,
        body: BLOB_T,
      });
      assert.equal(done.status, 201);
      assert.equal(locationPath(done), `/v2/team/chart/blobs/${DIGEST_T}`);
      assert.equal(done.headers.get('docker-content-digest'), DIGEST_T);

      const head = await client.request('HEAD', `/v2/team/chart/blobs/${DIGEST_T}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '5');
      assert.equal(head.headers.get('docker-content-digest'), DIGEST_T);
    });

    it('F04: takes the last chunk from the closing PUT after earlier PATCHes', async () => {
      const location = await startUpload('team/chart-split');
      const first = await patch(location, BLOB_T.subarray(0, 3), '0-2');
      assert.equal(first.status, 202);

      const done = await client.request('PUT', withQuery(locationOf(first), `digest=${DIGEST_T}`), {
        headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': '3-4' },
        body: BLOB_T.subarray(3),
      });
      assert.equal(done.status, 201);
      assert.equal(done.headers.get('docker-content-digest'), DIGEST_T);

      const blob = await client.request('GET', `/v2/team/chart-split/blobs/${DIGEST_T}`);
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), BLOB_T);
    });

    it('F04: takes the last chunk from a closing PUT without Content-Range after a streamed PATCH', async () => {
      const location = await startUpload('team/chart-stream');
      const first = await patch(location, BLOB_T.subarray(0, 2));
      assert.equal(first.status, 202);

      const done = await client.request('PUT', withQuery(locationOf(first), `digest=${DIGEST_T}`), {
        headers: OCTET_STREAM_HEADERS,
        body: BLOB_T.subarray(2),
      });
      assert.equal(done.status, 201);

      const blob = await client.request('GET', `/v2/team/chart-stream/blobs/${DIGEST_T}`);
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), BLOB_T);
    });

    it('F04: refuses a closing PUT whose body does not match the digest, and shows no blob', async () => {
      const claimed = sha256('not what is sent');
      const location = await startUpload('team/chart-bad');

      const done = await client.request('PUT', withQuery(location, `digest=${claimed}`), {
        headers: OCTET_STREAM_HEADERS,
        body: BLOB_T,
      });
      await assertOciError(done, 400, 'DIGEST_INVALID');

      for (const digest of [claimed, DIGEST_T]) {
        const head = await client.request('HEAD', `/v2/team/chart-bad/blobs/${digest}`);
        assert.equal(head.status, 404);
      }
    });
  });

  describe('POST /v2/:name/blobs/uploads/?digest=', () => {
    it('F04: takes a whole blob from the POST body of a monolithic upload', async () => {
      const done = await client.request('POST', `/v2/team/mono/blobs/uploads/?digest=${DIGEST_T}`, {
        headers: OCTET_STREAM_HEADERS,
        body: BLOB_T,
      });
      assert.equal(done.status, 201);
      assert.equal(locationPath(done), `/v2/team/mono/blobs/${DIGEST_T}`);
      assert.equal(done.headers.get('docker-content-digest'), DIGEST_T);

      const head = await client.request('HEAD', `/v2/team/mono/blobs/${DIGEST_T}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '5');
    });

    it('F04: refuses a monolithic upload whose body does not match the digest, and shows no blob', async () => {
      const claimed = sha256('also not what is sent');

      const done = await client.request(
        'POST',
        `/v2/team/mono-bad/blobs/uploads/?digest=${claimed}`,
        {
          headers: OCTET_STREAM_HEADERS,
          body: BLOB_T,
        },
      );
      await assertOciError(done, 400, 'DIGEST_INVALID');

      const head = await client.request('HEAD', `/v2/team/mono-bad/blobs/${claimed}`);
      assert.equal(head.status, 404);
    });
  });

  /** Sends the first ten bytes of `content` as one PATCH and returns the new Location. */
  async function patchFirstTenBytes(
    location: string,
    content = patternedBytes(10, 5),
  ): Promise<string> {
    const chunk = await patch(location, content.subarray(0, 10), '0-9');
    assert.equal(chunk.status, 202);
    assert.equal(chunk.headers.get('range'), '0-9');
    return locationOf(chunk);
  }
});

function locationOf(response: Response): string {
  const location = response.headers.get('location');
  assert.ok(location, `no Location from ${response.url}`);
  return location;
}
