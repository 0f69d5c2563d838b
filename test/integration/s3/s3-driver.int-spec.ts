import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { pathFor, PathNotFoundError, S3Driver } from '@tidemark/storage';
import { describeStorageDriver } from '@tidemark/storage/testing';
import {
  freePort,
  startRecordingProxy,
  startS3Server,
  type RecordingProxy,
  type S3Server,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertSameBytes,
  MiB,
  MINIMUM_PART_SIZE,
  partCountOf,
  rawClient,
  readAll,
  S3DriverFactory,
  statusOf,
  streamOf,
  writeChunks,
} from './s3-driver-fixtures';

const KiB = 1024;
const TIMEOUT = { timeout: 120_000 };

// One S3Proxy for the whole file: the contract suite and the S3-specific tests below.
let server: Promise<S3Server> | undefined;
let factory: S3DriverFactory | undefined;

async function drivers(): Promise<S3DriverFactory> {
  server ??= startS3Server();
  factory ??= new S3DriverFactory(await server);
  return factory;
}

after(async () => {
  factory?.close();
  await (await server)?.stop();
});

describeStorageDriver(S3Driver.name, async () => (await drivers()).create());

describe(S3Driver.name, () => {
  let client: S3Client;

  before(async () => {
    client = rawClient((await drivers()).server);
  });

  after(() => client?.destroy());

  /** Every key stored under `prefix`, in order. */
  async function keysUnder(prefix: string): Promise<string[]> {
    const bucket = (await drivers()).server.bucket;
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key!);
  }

  async function multipartUploadsUnder(prefix: string): Promise<string[]> {
    const bucket = (await drivers()).server.bucket;
    const page = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
    );
    return (page.Uploads ?? []).map((upload) => upload.Key!);
  }

  async function etagOf(key: string): Promise<string | undefined> {
    const bucket = (await drivers()).server.bucket;
    return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
  }

  async function startMultipartUpload(key: string): Promise<void> {
    const bucket = (await drivers()).server.bucket;
    await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  }

  /** Writes `parts` as chunks, assembles them onto a fresh key and returns that key. */
  async function assembleParts(sut: S3Driver, parts: readonly Buffer[]): Promise<string> {
    const { chunks } = await writeChunks(sut, parts);
    const target = `assembled/${randomUUID()}`;
    await sut.assemble(chunks, target);
    return target;
  }

  describe('keys', () => {
    it('keeps every object under its prefix', async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);

      const { chunks } = await writeChunks(sut, [Buffer.from('hello')]);
      await sut.assemble(chunks, pathFor({ kind: 'staging', token: 'prefixed' }));

      const keys = await keysUnder(`${settings.prefix}/`);
      assert.equal(keys.length, 2);
      assert.ok(keys.includes(`${settings.prefix}/staging/prefixed`), keys.join(', '));
      assert.deepEqual(await keysUnder('staging/'), []);
    });

    it('writes every chunk under a key of its own, also a rewrite at the same offset', async () => {
      const sut = (await drivers()).create();
      const uploadId = randomUUID();

      const first = await sut.writeChunk(uploadId, 0, streamOf(Buffer.from('first')));
      const second = await sut.writeChunk(uploadId, 0, streamOf(Buffer.from('second')));

      assert.notEqual(first.key, second.key);
      assert.equal((await readAll(sut.readChunks([first]))).toString(), 'first');
    });
  });

  describe('writeChunk', () => {
    it('streams a body larger than its write parts into one chunk', TIMEOUT, async () => {
      const sut = (await drivers()).create();
      const content = randomBytes(21 * MiB + 5);

      const chunk = await sut.writeChunk(randomUUID(), 0, streamOf(content));

      assert.equal(chunk.size, content.length);
      assertSameBytes(await readAll(sut.readChunks([chunk])), content);
    });

    it('stores no object for a chunk of no bytes', async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);
      const uploadId = randomUUID();

      const chunk = await sut.writeChunk(uploadId, 0, streamOf(Buffer.alloc(0)));

      assert.equal(chunk.size, 0);
      assert.deepEqual(await keysUnder(`${settings.prefix}/uploads/${uploadId}/`), []);
    });
  });

  describe('assemble', () => {
    const cases: [string, number[]][] = [
      ['tiny chunks', [1, 100, 1000]],
      ['tiny chunks adding up to just under the minimum', [MINIMUM_PART_SIZE - 2, 1, 1]],
      ['one chunk of exactly the minimum', [MINIMUM_PART_SIZE]],
      ['two chunks of exactly the minimum', [MINIMUM_PART_SIZE, MINIMUM_PART_SIZE]],
      ['mixed chunks, as a client with odd chunk sizes sends', [3 * MiB, 100 * KiB, 7 * MiB, 1]],
      ['a small chunk before a large one', [1, 12 * MiB]],
      ['several chunks larger than the part size', [12 * MiB, 11 * MiB + 3, 6 * MiB]],
      ['large and small chunks taking turns', [6 * MiB, 3, 6 * MiB, 2 * MiB, 5 * MiB + 1, 7]],
      ['empty chunks among others', [0, 2 * MiB, 0, 4 * MiB, 0]],
    ];
    for (const [label, sizes] of cases) {
      it(`stores the exact bytes of ${label}`, TIMEOUT, async () => {
        const sut = (await drivers()).create();
        const parts = sizes.map((size) => randomBytes(size));

        const target = await assembleParts(sut, parts);

        assertSameBytes(await readAll(sut.read(target)), Buffer.concat(parts), label);
      });
    }

    it(
      'copies a chunk larger than the part size in ranged parts, streaming only its tail',
      TIMEOUT,
      async () => {
        const settings = (await drivers()).settings();
        const writer = (await drivers()).create(settings);
        const content = randomBytes(3 * MINIMUM_PART_SIZE + 2 * MiB);
        const { chunks } = await writeChunks(writer, [content]);
        const proxy = await startRecordingProxy((await drivers()).server.endpoint);
        try {
          const sut = (await drivers()).create({ ...settings, endpoint: `http://${proxy.host}` });
          const target = `assembled/${randomUUID()}`;

          await sut.assemble(chunks, target);

          assert.deepEqual(partRequests(proxy), { copied: 3, uploaded: 1 });
          assert.equal(partCountOf(await etagOf(`${settings.prefix}/${target}`)), 4);
          assertSameBytes(await readAll(sut.read(target)), content);
        } finally {
          await proxy.close();
        }
      },
    );

    it('copies a single chunk no larger than the part size with one request', async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);

      const target = await assembleParts(sut, [randomBytes(2 * MiB)]);

      assert.equal(partCountOf(await etagOf(`${settings.prefix}/${target}`)), 1);
    });

    it('aborts the multipart upload when a chunk to copy is gone', TIMEOUT, async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);
      const { chunks } = await writeChunks(sut, [randomBytes(6 * MiB), randomBytes(6 * MiB)]);
      await sut.delete(chunks[1]!.key);
      const target = `assembled/${randomUUID()}`;

      await assert.rejects(sut.assemble(chunks, target));

      assert.deepEqual(await multipartUploadsUnder(`${settings.prefix}/`), []);
      await assert.rejects(sut.stat(target), PathNotFoundError);
    });

    it('aborts the multipart upload when a chunk to stream is gone', TIMEOUT, async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);
      const { chunks } = await writeChunks(sut, [randomBytes(MiB), randomBytes(8 * MiB)]);
      await sut.delete(chunks[0]!.key);
      const target = `assembled/${randomUUID()}`;

      await assert.rejects(sut.assemble(chunks, target), PathNotFoundError);

      assert.deepEqual(await multipartUploadsUnder(`${settings.prefix}/`), []);
      await assert.rejects(sut.stat(target), PathNotFoundError);
    });
  });

  describe('discardUpload', () => {
    it('also deletes chunks the session never recorded, and multipart uploads left there', async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);
      const { uploadId, chunks } = await writeChunks(sut, [Buffer.from('kept'), Buffer.from('x')]);
      const root = `${settings.prefix}/${pathFor({ kind: 'upload-root', uploadId })}/`;
      await startMultipartUpload(`${root}chunks/left-by-a-crash`);

      await sut.discardUpload(uploadId, chunks.slice(0, 1));

      assert.deepEqual(await keysUnder(root), []);
      assert.deepEqual(await multipartUploadsUnder(root), []);
    });
  });

  describe('abortStaleMultipartUploads', () => {
    it('aborts the multipart uploads under its prefix begun before the given time', async () => {
      const settings = (await drivers()).settings();
      const sut = (await drivers()).create(settings);
      const outsider = `s3-driver-spec/${randomUUID()}/not-ours`;
      await startMultipartUpload(`${settings.prefix}/uploads/${randomUUID()}/chunks/a`);
      await startMultipartUpload(`${settings.prefix}/blobs/sha256/ab/abc/data`);
      await startMultipartUpload(outsider);

      const whenTooRecent = await sut.abortStaleMultipartUploads(new Date(Date.now() - 60_000));
      assert.equal(whenTooRecent, 0);
      assert.equal((await multipartUploadsUnder(`${settings.prefix}/`)).length, 2);

      const whenStale = await sut.abortStaleMultipartUploads(new Date(Date.now() + 60_000));
      assert.equal(whenStale, 2);
      assert.deepEqual(await multipartUploadsUnder(`${settings.prefix}/`), []);
      assert.deepEqual(await multipartUploadsUnder(outsider), [outsider]);
    });
  });

  describe('presignRead', () => {
    it('hands out a URL that serves the object, and ranges of it, without credentials', async () => {
      const sut = (await drivers()).create();
      const content = randomBytes(3 * MiB + 11);
      const target = await assembleParts(sut, [content]);

      const url = await sut.presignRead(target, 60);
      const whole = await fetch(url);
      const ranged = await fetch(url, { headers: { Range: 'bytes=100-199' } });

      assert.equal(whole.status, 200);
      assertSameBytes(Buffer.from(await whole.arrayBuffer()), content);
      assert.equal(ranged.status, 206);
      assertSameBytes(Buffer.from(await ranged.arrayBuffer()), content.subarray(100, 200));
    });
  });

  describe('checkBucket', () => {
    it('passes for a bucket that answers', async () => {
      await (await drivers()).create().checkBucket();
    });

    it('fails for a bucket that does not exist', async () => {
      const sut = (await drivers()).create({ bucket: `missing-${randomUUID()}` });

      await assert.rejects(sut.checkBucket(), (error: Error) => statusOf(error.cause) === 404);
    });

    it('fails for credentials the server refuses', async () => {
      const sut = (await drivers()).create({ secretAccessKey: 'not-the-secret' });

      await assert.rejects(sut.checkBucket(), (error: Error) => statusOf(error.cause) === 403);
    });

    it('fails within its timeout when nothing answers', async () => {
      const sut = (await drivers()).create({ endpoint: `http://127.0.0.1:${await freePort()}` });
      const started = Date.now();

      await assert.rejects(sut.checkBucket(3_000));
      assert.ok(Date.now() - started < 6_000);
    });
  });

  describe('constructor', () => {
    it('refuses a part size below the minimum or above 5 GiB', async () => {
      const settings = (await drivers()).settings();

      assert.throws(() => new S3Driver({ ...settings, partSizeBytes: MINIMUM_PART_SIZE - 1 }));
      assert.throws(() => new S3Driver({ ...settings, partSizeBytes: 5 * 1024 * MiB + 1 }));
    });
  });
});

/** The parts of multipart uploads that went through `proxy`: copied, or uploaded with a body. */
function partRequests(proxy: RecordingProxy): { copied: number; uploaded: number } {
  const parts = proxy.requests.filter(
    (request) => request.method === 'PUT' && /[?&]partNumber=/.test(request.url),
  );
  return {
    copied: parts.filter((part) => part.bodyBytes === 0).length,
    uploaded: parts.filter((part) => part.bodyBytes > 0).length,
  };
}
