import { strict as assert } from 'node:assert';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { sha256, startS3Server, type S3Server } from '@tidemark/testing';
import { putWithSignedChunks } from './signed-chunked-put';

const MiB = 1024 * 1024;
// S3's smallest part, except the last; UploadPartCopy ranges below use exactly this size.
const MIN_PART_SIZE = 5 * MiB;
const STREAM_SLICE = 64 * 1024;
const TIMEOUT = { timeout: 60_000 };

describe('S3 test server', () => {
  let server: S3Server;
  let client: S3Client;
  const sentContentHashes = new Map<string, string>();

  before(async () => {
    server = await startS3Server();
    client = createClient(server);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string; headers?: Record<string, string> };
        const payloadHash = request.headers?.['x-amz-content-sha256'];
        if (request.path && payloadHash) {
          sentContentHashes.set(decodeURIComponent(request.path), payloadHash);
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'recordPayloadHash' },
    );
  });

  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('hands out an existing bucket on a loopback endpoint', async () => {
    const answer = await client.send(new HeadBucketCommand({ Bucket: server.bucket }));

    assert.equal(answer.$metadata.httpStatusCode, 200);
    if (!process.env.TIDEMARK_TEST_S3_ENDPOINT) {
      assert.equal(new URL(server.endpoint).hostname, '127.0.0.1');
    }
  });

  it('rejects requests signed with the wrong secret', async () => {
    const intruder = createClient({ ...server, secretAccessKey: 'not-the-secret' });
    try {
      const put = intruder.send(
        new PutObjectCommand({ Bucket: server.bucket, Key: uniqueKey('intruder'), Body: 'x' }),
      );

      await assert.rejects(put, (error) => httpStatusOf(error) === 403);
    } finally {
      intruder.destroy();
    }
  });

  describe('PutObject', () => {
    it('stores a streamed aws-chunked body byte for byte', TIMEOUT, async () => {
      const key = uniqueKey('streamed');
      const content = randomBytes(7 * MiB + 123);

      await client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: key,
          Body: streamOf(content),
          ContentLength: content.length,
        }),
      );

      // The SDK's default for a stream body: aws-chunked with a CRC32 trailer.
      assert.match(sentContentHashes.get(`/${server.bucket}/${key}`) ?? '', /^STREAMING-/);
      assertSameBytes(await readObject(key), content);
    });

    it('stores a body in memory byte for byte, with its content type and metadata', async () => {
      const key = uniqueKey('buffered');
      const content = randomBytes(3 * MiB);

      await client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: key,
          Body: content,
          ContentType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          Metadata: { digest: sha256(content) },
        }),
      );

      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
      assert.equal(head.ContentLength, content.length);
      assert.equal(head.ContentType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      assert.deepEqual(head.Metadata, { digest: sha256(content) });
      assertSameBytes(await readObject(key), content);
    });

    it('stores a zero-length streamed body', async () => {
      const key = uniqueKey('empty');

      await client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: key,
          Body: streamOf(Buffer.alloc(0)),
          ContentLength: 0,
        }),
      );

      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
      assert.equal(head.ContentLength, 0);
    });

    it('stores a body sent with a signature on every chunk', TIMEOUT, async () => {
      const key = uniqueKey('signed-chunks');
      const content = randomBytes(3 * MiB + 17);

      const status = await putWithSignedChunks({
        server,
        key,
        body: content,
        chunkSize: 64 * 1024,
      });

      assert.equal(status, 200);
      assertSameBytes(await readObject(key), content);
    });

    it('rejects a signed chunk whose bytes changed in transit', async () => {
      const key = uniqueKey('tampered');
      const content = randomBytes(MiB);

      const status = await putWithSignedChunks({
        server,
        key,
        body: content,
        chunkSize: 64 * 1024,
        isTampered: true,
      });

      assert.equal(status, 403);
      await assertMissing(key);
    });
  });

  describe('Upload (lib-storage)', () => {
    it('stores a stream split into parts byte for byte', TIMEOUT, async () => {
      const key = uniqueKey('lib-storage');
      const content = randomBytes(12 * MiB + 7);

      const upload = new Upload({
        client,
        params: { Bucket: server.bucket, Key: key, Body: streamOf(content) },
        partSize: MIN_PART_SIZE,
        queueSize: 2,
      });
      await upload.done();

      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
      assert.match(head.ETag ?? '', /-3"$/, 'a multipart ETag for three parts');
      assertSameBytes(await readObject(key), content);
    });

    it('stores a stream smaller than one part with a single PutObject', async () => {
      const key = uniqueKey('lib-storage-small');
      const content = randomBytes(1000);

      await new Upload({
        client,
        params: { Bucket: server.bucket, Key: key, Body: streamOf(content) },
      }).done();

      assertSameBytes(await readObject(key), content);
    });
  });

  describe('multipart upload', () => {
    it(
      'assembles parts copied by byte range from two objects and an uploaded part',
      TIMEOUT,
      async () => {
        const [first, second] = [randomBytes(6 * MiB), randomBytes(6 * MiB)];
        const [firstKey, secondKey, key] = [
          uniqueKey('first'),
          uniqueKey('second'),
          uniqueKey('joined'),
        ];
        await putObject(firstKey, first);
        await putObject(secondKey, second);
        const tail = randomBytes(1234);
        const { UploadId } = await client.send(
          new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
        );

        const parts = [
          await copyPart({ key, uploadId: UploadId, partNumber: 1, source: firstKey, start: 0 }),
          await copyPart({
            key,
            uploadId: UploadId,
            partNumber: 2,
            source: secondKey,
            start: 1000,
          }),
          await uploadPart({ key, uploadId: UploadId, partNumber: 3, body: tail }),
        ];
        assert.ok(await listUploadIds(key).then((ids) => ids.includes(UploadId!)));
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: server.bucket,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        );

        const expected = Buffer.concat([
          first.subarray(0, MIN_PART_SIZE),
          second.subarray(1000, 1000 + MIN_PART_SIZE),
          tail,
        ]);
        assertSameBytes(await readObject(key), expected);
        assert.deepEqual(await listUploadIds(key), []);
      },
    );

    it('forgets an aborted upload', async () => {
      const key = uniqueKey('aborted');
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
      );
      const part = await uploadPart({ key, uploadId: UploadId, partNumber: 1, body: 'x' });
      assert.deepEqual(await listUploadIds(key), [UploadId]);

      await client.send(
        new AbortMultipartUploadCommand({ Bucket: server.bucket, Key: key, UploadId }),
      );

      assert.deepEqual(await listUploadIds(key), []);
      const complete = client.send(
        new CompleteMultipartUploadCommand({
          Bucket: server.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [part] },
        }),
      );
      await assert.rejects(complete, { name: 'NoSuchUpload' });
      await assertMissing(key);
    });
  });

  describe('reading', () => {
    const key = uniqueKey('ranged');
    const content = randomBytes(2 * MiB + 5);

    before(() => putObject(key, content));

    it('answers HeadObject with size and ETag, and 404 for a missing key', async () => {
      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));

      assert.equal(head.ContentLength, content.length);
      assert.equal(head.ETag, `"${createHash('md5').update(content).digest('hex')}"`);
      await assertMissing(uniqueKey('never-written'));
    });

    it('returns GetObject ranges: bounded, open-ended and suffix', async () => {
      const ranges = [
        { range: 'bytes=100-199', start: 100, end: 200 },
        { range: `bytes=${content.length - 50}-`, start: content.length - 50, end: content.length },
        { range: 'bytes=-10', start: content.length - 10, end: content.length },
      ];
      for (const { range, start, end } of ranges) {
        const answer = await client.send(
          new GetObjectCommand({ Bucket: server.bucket, Key: key, Range: range }),
        );

        assert.equal(answer.$metadata.httpStatusCode, 206, range);
        assert.equal(answer.ContentRange, `bytes ${start}-${end - 1}/${content.length}`, range);
        assertSameBytes(await bytesOf(answer.Body), content.subarray(start, end));
      }
    });

    it('refuses a range that starts past the end with 416', async () => {
      const get = client.send(
        new GetObjectCommand({
          Bucket: server.bucket,
          Key: key,
          Range: `bytes=${content.length}-`,
        }),
      );

      await assert.rejects(get, (error) => httpStatusOf(error) === 416);
    });

    it('serves a presigned GET URL to a plain HTTP client, range included', async () => {
      const url = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: server.bucket, Key: key }),
        { expiresIn: 60 },
      );

      const whole = await fetch(url);
      const ranged = await fetch(url, { headers: { range: 'bytes=10-19' } });

      assert.equal(whole.status, 200);
      assertSameBytes(Buffer.from(await whole.arrayBuffer()), content);
      assert.equal(ranged.status, 206);
      assertSameBytes(Buffer.from(await ranged.arrayBuffer()), content.subarray(10, 20));
    });

    it('refuses a presigned URL that was altered or has expired', async () => {
      const command = new GetObjectCommand({ Bucket: server.bucket, Key: key });
      const url = new URL(await getSignedUrl(client, command, { expiresIn: 60 }));
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
      const shortLived = await getSignedUrl(client, command, { expiresIn: 1 });
      await delay(2_100);

      const altered = await fetch(url);
      const expired = await fetch(shortLived);

      assert.equal(altered.status, 403);
      assert.equal(expired.status, 403);
      await Promise.all([altered.arrayBuffer(), expired.arrayBuffer()]);
    });
  });

  describe('CopyObject', () => {
    it('copies bytes, content type and metadata to a new key', async () => {
      const [source, target] = [uniqueKey('copy-source'), uniqueKey('copy-target')];
      const content = randomBytes(MiB + 1);
      await client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: source,
          Body: content,
          ContentType: 'application/octet-stream',
          Metadata: { digest: sha256(content) },
        }),
      );

      await client.send(
        new CopyObjectCommand({
          Bucket: server.bucket,
          Key: target,
          CopySource: `${server.bucket}/${source}`,
        }),
      );

      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: target }));
      assert.deepEqual(head.Metadata, { digest: sha256(content) });
      assertSameBytes(await readObject(target), content);
      assertSameBytes(await readObject(source), content);
    });
  });

  describe('ListObjectsV2', () => {
    const prefix = `${uniqueKey('listing')}/`;
    const keys = ['a', 'b', 'c', 'd', 'e', 'nested/x', 'nested/y'].map((name) => prefix + name);

    before(() => Promise.all(keys.map((key) => putObject(key, key))));

    it('pages through keys in order with continuation tokens', async () => {
      const listed: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: server.bucket,
            Prefix: prefix,
            MaxKeys: 3,
            ContinuationToken: token,
          }),
        );
        assert.ok((page.Contents ?? []).length <= 3);
        listed.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);

      assert.deepEqual(listed, keys);
    });

    it('groups keys below a delimiter into common prefixes', async () => {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, Delimiter: '/' }),
      );

      assert.deepEqual(
        (page.Contents ?? []).map((object) => object.Key),
        keys.filter((key) => !key.includes('nested/')),
      );
      assert.deepEqual(
        (page.CommonPrefixes ?? []).map((common) => common.Prefix),
        [`${prefix}nested/`],
      );
    });
  });

  describe('deleting', () => {
    it('deletes one object, and accepts deleting a key that does not exist', async () => {
      const key = uniqueKey('delete-one');
      await putObject(key, 'x');

      await client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key }));
      const again = await client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key }));

      assert.equal(again.$metadata.httpStatusCode, 204);
      await assertMissing(key);
    });

    it('deletes a batch of objects with DeleteObjects', async () => {
      const keys = [uniqueKey('batch-1'), uniqueKey('batch-2'), uniqueKey('batch-3')];
      await Promise.all(keys.map((key) => putObject(key, key)));

      const answer = await client.send(
        new DeleteObjectsCommand({
          Bucket: server.bucket,
          Delete: { Objects: [...keys, uniqueKey('never-written')].map((Key) => ({ Key })) },
        }),
      );

      assert.deepEqual(answer.Errors ?? [], []);
      assert.ok(keys.every((key) => answer.Deleted?.some((deleted) => deleted.Key === key)));
      for (const key of keys) {
        await assertMissing(key);
      }
    });
  });

  interface PartToCopy {
    readonly key: string;
    readonly uploadId: string | undefined;
    readonly partNumber: number;
    readonly source: string;
    readonly start: number;
  }

  async function copyPart(part: PartToCopy): Promise<{ PartNumber: number; ETag?: string }> {
    const answer = await client.send(
      new UploadPartCopyCommand({
        Bucket: server.bucket,
        Key: part.key,
        UploadId: part.uploadId,
        PartNumber: part.partNumber,
        CopySource: `${server.bucket}/${part.source}`,
        CopySourceRange: `bytes=${part.start}-${part.start + MIN_PART_SIZE - 1}`,
      }),
    );
    return { PartNumber: part.partNumber, ETag: answer.CopyPartResult?.ETag };
  }

  interface PartToUpload {
    readonly key: string;
    readonly uploadId: string | undefined;
    readonly partNumber: number;
    readonly body: Buffer | string;
  }

  async function uploadPart(part: PartToUpload): Promise<{ PartNumber: number; ETag?: string }> {
    const answer = await client.send(
      new UploadPartCommand({
        Bucket: server.bucket,
        Key: part.key,
        UploadId: part.uploadId,
        PartNumber: part.partNumber,
        Body: part.body,
      }),
    );
    return { PartNumber: part.partNumber, ETag: answer.ETag };
  }

  async function listUploadIds(key: string): Promise<string[]> {
    const answer = await client.send(
      new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: key }),
    );
    return (answer.Uploads ?? [])
      .filter((upload) => upload.Key === key)
      .map((upload) => upload.UploadId!);
  }

  async function putObject(key: string, body: Buffer | string): Promise<void> {
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: body }));
  }

  async function readObject(key: string): Promise<Buffer> {
    const answer = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
    return bytesOf(answer.Body);
  }

  async function assertMissing(key: string): Promise<void> {
    const head = client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
    await assert.rejects(head, (error) => httpStatusOf(error) === 404);
  }
});

function createClient(server: S3Server): S3Client {
  const config: S3ClientConfig = {
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    // A fresh connection per request: the SDK never resends a streamed body, so one written
    // to a pooled connection the server has just closed (Jetty's idle timeout) would fail a
    // test about S3Proxy's semantics for a reason that has nothing to do with them.
    requestHandler: { httpAgent: { keepAlive: false } },
  };
  return new S3Client(config);
}

async function bytesOf(
  body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
): Promise<Buffer> {
  assert.ok(body, 'the response has a body');
  return Buffer.from(await body.transformToByteArray());
}

// Slices a buffer into a stream of 64 KiB chunks, so the SDK cannot see its length.
function streamOf(content: Buffer): Readable {
  return Readable.from(
    (function* slices() {
      for (let offset = 0; offset < content.length; offset += STREAM_SLICE) {
        yield content.subarray(offset, offset + STREAM_SLICE);
      }
    })(),
  );
}

// Compares digests first, so a mismatch reports two hashes and lengths, not megabytes.
function assertSameBytes(actual: Buffer, expected: Buffer): void {
  assert.equal(actual.length, expected.length, 'length');
  assert.equal(sha256(actual), sha256(expected), 'sha256');
}

function uniqueKey(name: string): string {
  return `s3-server-spec/${randomUUID()}/${name}`;
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
