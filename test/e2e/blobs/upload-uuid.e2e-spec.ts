import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  locationPath,
  OciClient,
  OCTET_STREAM_HEADERS,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

// Docker clients read an upload's session id from Docker-Upload-UUID (Docker Registry HTTP
// API V2, "Initiate Blob Upload"); it must name the same session as Location on every answer
// about an open upload.

const REPOSITORY = 'team/uuid';
const UPLOAD_PATH = /^\/v2\/team\/uuid\/blobs\/uploads\/([^/?]+)$/;

describe('Docker-Upload-UUID on upload sessions', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry.close();
  });

  /** Asserts a 202/204 about an open session and returns the id its Location names. */
  function assertSessionHeaders(response: Response, status: number): string {
    assert.equal(response.status, status);
    const id = UPLOAD_PATH.exec(locationPath(response) ?? '')?.[1];
    assert.ok(id, `no upload session in Location ${response.headers.get('location')}`);
    assert.equal(response.headers.get('docker-upload-uuid'), id);
    return id;
  }

  async function startUpload(query = ''): Promise<Response> {
    return client.request('POST', `/v2/${REPOSITORY}/blobs/uploads/${query}`);
  }

  function patch(location: string, body: string): Promise<Response> {
    return client.request('PATCH', location, { headers: OCTET_STREAM_HEADERS, body });
  }

  describe('POST /v2/:name/blobs/uploads/', () => {
    it('answers 202 with the id of the session Location names', async () => {
      assertSessionHeaders(await startUpload(), 202);
    });

    it('gives each session its own id', async () => {
      const first = assertSessionHeaders(await startUpload(), 202);
      const second = assertSessionHeaders(await startUpload(), 202);
      assert.notEqual(first, second);
    });

    it('answers a mount it cannot make with a session and its id', async () => {
      const query = `?mount=${sha256('not anywhere')}&from=team/elsewhere`;
      assertSessionHeaders(await startUpload(query), 202);
    });
  });

  describe('PATCH /v2/:name/blobs/uploads/:id', () => {
    it('answers every chunk with the id of the same session', async () => {
      const started = await startUpload();
      const id = assertSessionHeaders(started, 202);

      const first = await patch(started.headers.get('location')!, 'first chunk ');
      assert.equal(assertSessionHeaders(first, 202), id);
      const second = await patch(first.headers.get('location')!, 'second chunk');
      assert.equal(assertSessionHeaders(second, 202), id);
    });
  });

  describe('GET /v2/:name/blobs/uploads/:id', () => {
    it('reports the session id with its Range', async () => {
      const started = await startUpload();
      const id = assertSessionHeaders(started, 202);
      const chunk = await patch(started.headers.get('location')!, 'some bytes');

      const status = await client.request('GET', chunk.headers.get('location')!);

      assert.equal(assertSessionHeaders(status, 204), id);
      assert.equal(status.headers.get('range'), '0-9');
    });

    it('reports the id of a session that has received nothing yet', async () => {
      const started = await startUpload();
      const id = assertSessionHeaders(started, 202);

      const status = await client.request('GET', started.headers.get('location')!);

      assert.equal(assertSessionHeaders(status, 204), id);
    });
  });
});
