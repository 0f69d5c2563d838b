import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Digest } from '@tidemark/oci';
import { pathFor } from '@tidemark/storage';
import {
  imageManifest,
  OciClient,
  s3Storage,
  pushInChunks,
  RegistryClients,
  sha256,
  startRecordingProxy,
  startS3Server,
  startTestRegistry,
  type RecordingProxy,
  type S3Server,
  type TestRegistry,
  waitUntil,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkStorage, scheduleStorageTidyUp } from '../../../apps/cli/src/server/create-storage';

// A standalone registry on S3 storage (S3Proxy), driven over HTTP as clients drive it. The
// part size is S3's 5 MiB minimum, which S3Proxy enforces, so that blobs of a few tens of
// MiB already take the paths a multi-GiB blob takes on the default 64 MiB parts: several
// chunks, several server-side copy parts, streamed parts between them (field case F05).

const MiB = 1024 * 1024;
const KiB = 1024;
const PART_SIZE = 5 * MiB;
const TIMEOUT = { timeout: 120_000 };

/** The storage settings of a registry on `server`, with 5 MiB parts. */
function s3PartsStorage(server: S3Server, s3: Record<string, unknown> = {}) {
  return s3Storage(server, 'registry-on-s3', { partSizeBytes: PART_SIZE, ...s3 });
}

function s3Client(server: S3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
  });
}

describe('a registry on S3 storage', () => {
  let server: S3Server;
  let s3: S3Client;
  // Between the registry and S3Proxy, to count the requests of an assembly.
  let proxy: RecordingProxy;
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    server = await startS3Server();
    s3 = s3Client(server);
    proxy = await startRecordingProxy(server.endpoint);
    const storage = s3PartsStorage(server, { endpoint: `http://${proxy.host}` });
    registry = await startTestRegistry({ storage });
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry?.close();
    await proxy?.close();
    s3?.destroy();
    await server?.stop();
  });

  async function assertServed(repository: string, content: Buffer): Promise<void> {
    const blob = await client.request('GET', `/v2/${repository}/blobs/${sha256(content)}`);
    assert.equal(blob.status, 200, repository);
    assert.equal(blob.headers.get('docker-content-digest'), sha256(content));
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), sha256(content), repository);
  }

  /** Looks at the blob's object in the bucket, under the registry's prefix. */
  async function headStoredBlob(digest: string): Promise<{ size?: number; etag?: string }> {
    const path = pathFor({ kind: 'blob-data', digest: digest as Digest });
    const key = `${registry.config.storage.s3.prefix}/${path}`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
    return { size: head.ContentLength, etag: head.ETag };
  }

  describe('chunked upload (PATCH … PUT)', () => {
    it('stores chunks of odd sizes byte for byte', TIMEOUT, async () => {
      const chunks = [3 * MiB, 100 * KiB, 7 * MiB, 1].map((size) => randomBytes(size));

      const committed = await pushInChunks([client], 's3/chunked', chunks);

      assert.equal(committed.status, 201);
      assert.equal(committed.headers.get('docker-content-digest'), sha256(Buffer.concat(chunks)));
      await assertServed('s3/chunked', Buffer.concat(chunks));
    });

    it('commits an empty blob', async () => {
      const committed = await pushInChunks([client], 's3/chunked', []);

      assert.equal(committed.status, 201);
      await assertServed('s3/chunked', Buffer.alloc(0));
    });
  });

  describe('monolithic upload (POST, then PUT with the bytes)', () => {
    it('stores the blob byte for byte', TIMEOUT, async () => {
      const content = randomBytes(9 * MiB + 17);

      await client.pushBlob('s3/monolithic', content);

      await assertServed('s3/monolithic', content);
    });
  });

  describe('field case F05: a blob assembled from many chunks and several copy parts', () => {
    it('commits with 201 and serves every byte', TIMEOUT, async () => {
      const sizes = [11 * MiB, 64 * KiB, 64 * KiB, 1, 6 * MiB + 5, 300 * KiB, 16 * MiB + 3, 7];
      const chunks = sizes.map((size) => randomBytes(size));
      const content = Buffer.concat(chunks);
      const digest = sha256(content);
      const before = proxy.requests.length;

      const committed = await pushInChunks([client], 'team/big', chunks);

      assert.equal(committed.status, 201);
      const head = await client.request('HEAD', `/v2/team/big/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(content.length));
      await assertServed('team/big', content);
      const copies = proxy.requests
        .slice(before)
        .filter((request) => request.method === 'PUT' && /[?&]partNumber=/.test(request.url))
        .filter((request) => request.bodyBytes === 0 && request.url.includes('/blobs/sha256/'));
      assert.ok(copies.length > 1, `${copies.length} copy parts`);
      const stored = await headStoredBlob(digest);
      assert.equal(stored.size, content.length);
      assert.match(stored.etag ?? '', /-\d+"$/, 'a multipart object');
    });
  });

  describe('field case F06: two concurrent uploads of one blob', () => {
    it('answers both with 201 and keeps one intact object', TIMEOUT, async () => {
      const content = randomBytes(12 * MiB + 3);
      const halves = [content.subarray(0, 6 * MiB), content.subarray(6 * MiB)];

      const answers = await Promise.all([
        pushInChunks([client], 'team/app-a', halves),
        pushInChunks([client], 'team/app-b', halves),
      ]);

      assert.deepEqual(
        answers.map((answer) => answer.status),
        [201, 201],
      );
      await assertServed('team/app-a', content);
      await assertServed('team/app-b', content);
      assert.equal((await headStoredBlob(sha256(content))).size, content.length);
    });
  });

  describe('GET and HEAD /v2/:name/blobs/:digest', () => {
    const content = randomBytes(2 * MiB + 9);

    before(async () => {
      await client.pushBlob('s3/reads', content);
    });

    it('serves the whole blob, a range of it, and its size to HEAD', async () => {
      const path = `/v2/s3/reads/blobs/${sha256(content)}`;

      const ranged = await client.request('GET', path, { headers: { Range: 'bytes=1000-1999' } });
      const head = await client.request('HEAD', path);

      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers.get('content-range'), `bytes 1000-1999/${content.length}`);
      assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), content.subarray(1000, 2000));
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(content.length));
      await assertServed('s3/reads', content);
    });

    it('answers 416 for a range past the end', async () => {
      const path = `/v2/s3/reads/blobs/${sha256(content)}`;

      const answer = await client.request('GET', path, {
        headers: { Range: `bytes=${content.length}-` },
      });

      assert.equal(answer.status, 416);
      await answer.arrayBuffer();
    });
  });

  describe('start-up', () => {
    it('fails at once when the bucket does not exist', async () => {
      const storage = s3PartsStorage(server, { bucket: `missing-${randomUUID()}` });

      await assert.rejects(startTestRegistry({ storage }), /missing-/);
    });

    it('aborts multipart uploads older than a day under the prefix', async () => {
      const prefix = registry.config.storage.s3.prefix;
      const key = `${prefix}/uploads/${randomUUID()}/chunks/left-by-a-crash`;
      await s3.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }));
      const log = pino({ level: 'silent' });

      await checkStorage(registry.config, log);
      assert.equal((await uploadsUnder(prefix)).length, 1, 'a fresh upload is kept');
      await checkStorage(registry.config, log, new Date(Date.now() + 25 * 60 * 60 * 1000));
      assert.deepEqual(await uploadsUnder(prefix), []);
    });

    it('keeps aborting multipart uploads as they turn a day old, while it runs', async () => {
      const prefix = registry.config.storage.s3.prefix;
      const key = `${prefix}/uploads/${randomUUID()}/chunks/left-by-a-later-crash`;
      await s3.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }));
      let now = new Date();
      const stop = scheduleStorageTidyUp(registry.config, pino({ level: 'silent' }), {
        intervalMs: 50,
        now: () => now,
      });
      try {
        await sleep(300);
        assert.equal((await uploadsUnder(prefix)).length, 1, 'a fresh upload is kept');
        now = new Date(Date.now() + 25 * 60 * 60 * 1000);
        await waitUntil(async () => (await uploadsUnder(prefix)).length === 0, 'aborted');
      } finally {
        stop();
      }
    });

    async function uploadsUnder(prefix: string): Promise<string[]> {
      const page = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: `${prefix}/` }),
      );
      return (page.Uploads ?? []).map((upload) => upload.Key!);
    }
  });
});

describe('a registry on S3 storage that redirects blob GETs', () => {
  let server: S3Server;
  let registry: TestRegistry;
  let client: OciClient;
  let clients: RegistryClients;

  before(async () => {
    server = await startS3Server();
    registry = await startTestRegistry({ storage: s3PartsStorage(server, { redirect: true }) });
    client = new OciClient(registry.url);
    clients = await RegistryClients.create(registry.host);
  });

  after(async () => {
    await registry?.close();
    await server?.stop();
    if (clients !== undefined) {
      await rm(clients.home, { recursive: true, force: true });
    }
  });

  it('answers GET with 307 to a presigned URL that serves the blob and its ranges', async () => {
    const content = randomBytes(3 * MiB + 1);
    const path = `/v2/s3/redirected/blobs/${await client.pushBlob('s3/redirected', content)}`;

    const redirect = await client.request('GET', path);
    const followed = await fetch(new URL(path, registry.url));
    const ranged = await fetch(new URL(path, registry.url), { headers: { Range: 'bytes=5-14' } });

    assert.equal(redirect.status, 307);
    assert.ok(redirect.headers.get('location')!.startsWith(`${server.endpoint}/`));
    assert.equal(redirect.headers.get('docker-content-digest'), sha256(content));
    assert.equal(followed.status, 200);
    assert.equal(sha256(Buffer.from(await followed.arrayBuffer())), sha256(content));
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), content.subarray(5, 15));
  });

  it('answers HEAD itself, with the size', async () => {
    const content = randomBytes(1000);
    const digest = await client.pushBlob('s3/redirected', content);

    const head = await client.request('HEAD', `/v2/s3/redirected/blobs/${digest}`);

    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '1000');
  });

  it('serves a manifest fetched as a blob itself', async () => {
    const config = await client.pushBlob('s3/redirected', '{}');
    const manifest = imageManifest({ digest: config, size: 2 }, []);
    const digest = await client.pushManifest('s3/redirected', 'v1', manifest);

    const answer = await client.request('GET', `/v2/s3/redirected/blobs/${digest}`);

    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), JSON.stringify(manifest));
  });

  it('lets crane and curl follow the redirect to the right bytes', async () => {
    const content = `redirected blob ${randomUUID()}\n`;
    const digest = await client.pushBlob('s3/redirected', content);

    const crane = await clients.crane('blob', `${registry.host}/s3/redirected@${digest}`);
    const curl = await clients.run('curl', [
      '--silent',
      '--show-error',
      '--fail',
      '--location',
      `${registry.url}/v2/s3/redirected/blobs/${digest}`,
    ]);

    assert.equal(crane.stdout, content);
    assert.equal(curl.stdout, content);
  });
});
