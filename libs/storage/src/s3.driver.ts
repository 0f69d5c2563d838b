import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pathFor } from './path-for';
import { S3Assembler } from './s3-assembler';
import { S3Bucket, type ObjectPiece } from './s3-bucket';
import { describeBucketError, S3_DRIVER_NAME, toDriverError } from './s3-errors';
import { planParts, type PartLimits } from './s3-part-plan';
import type { ChunkRef, ReadRange, StorageDriver } from './storage-driver';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// S3's multipart rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
const S3_MINIMUM_PART_SIZE = 5 * MiB;
const S3_MAXIMUM_PART_SIZE = 5 * GiB;
const S3_MAX_PARTS = 10_000;
// A chunk write holds about (queue + 2) parts, some 32 MiB, whatever the chunk's size.
// 10,000 parts of 8 MiB cap one request body at 78 GiB.
const WRITE_PART_SIZE = 8 * MiB;
const WRITE_QUEUE_SIZE = 2;
const ASSEMBLY_CONCURRENCY = 4;
// Every blob GET in flight holds a socket for as long as its client reads.
const MAX_SOCKETS = 256;
const CONTENT_TYPE = 'application/octet-stream';

/** Where the S3 driver keeps objects and how it splits them. */
export interface S3DriverOptions {
  /** An S3-compatible endpoint; absent means AWS itself. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Put before every key, so one bucket can hold several registries. */
  readonly prefix?: string;
  readonly forcePathStyle?: boolean;
  /** Both or neither; without them the SDK's default credential chain applies. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Size of the parts assembly copies and uploads, from the minimum part size to 5 GiB. */
  readonly partSizeBytes: number;
  /**
   * Smallest part but the last. S3 requires 5 MiB; lower it only for a server that allows
   * less (S3Proxy does not), so tests can reach many parts with small blobs.
   */
  readonly minimumPartSizeBytes?: number;
  /** Most parts of one multipart upload; S3 allows 10,000. */
  readonly maxParts?: number;
  /** Parts of one assembly in flight at once. */
  readonly assemblyConcurrency?: number;
}

/**
 * Stores objects in one S3 bucket, every key under an optional prefix. Object stores cannot
 * append, so every chunk of an upload is an object of its own, under a key with a fresh
 * token (no key is ever rewritten with other bytes), and assembly is a multipart upload
 * whose parts are server-side copies of the chunks where they are large enough and streamed
 * concatenations of them where they are not. Bytes stream both ways; what one request holds
 * in memory is bounded by a few parts, never by the size of a blob.
 *
 * A chunk of no bytes needs no object: it is returned without one, and reading or
 * assembling skips chunks of size 0.
 */
export class S3Driver implements StorageDriver {
  readonly name = S3_DRIVER_NAME;
  private readonly bucket: S3Bucket;
  private readonly assembler: S3Assembler;
  private readonly limits: PartLimits;

  /** Throws when the part sizes are outside what S3 allows. Opens no connection. */
  constructor(options: S3DriverOptions) {
    this.limits = checkLimits(options);
    const client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials:
        options.accessKeyId !== undefined && options.secretAccessKey !== undefined
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      requestHandler: {
        connectionTimeout: 5_000,
        // Idle time only: a copy of a large part may take long, but S3 keeps the line busy.
        socketTimeout: 5 * 60_000,
        httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
        httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      },
    });
    this.bucket = new S3Bucket(client, options.bucket, normalizePrefix(options.prefix ?? ''));
    this.assembler = new S3Assembler(
      this.bucket,
      options.assemblyConcurrency ?? ASSEMBLY_CONCURRENCY,
    );
  }

  /**
   * Checks that the bucket answers HeadBucket within `timeoutMs`, so a wrong endpoint,
   * bucket or credential stops start-up instead of the first push. Throws an Error that
   * names the bucket and what went wrong, with the SDK's error as its cause.
   */
  async checkBucket(timeoutMs = 10_000): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket.name }), { abortSignal });
    } catch (error) {
      const reason = abortSignal.aborted
        ? `no answer within ${timeoutMs} ms`
        : describeBucketError(error);
      throw new Error(`s3: bucket ${this.bucket.name} is not reachable: ${reason}`, {
        cause: error,
      });
    }
  }

  async stat(path: string): Promise<{ size: number }> {
    const command = new HeadObjectCommand({ Bucket: this.bucket.name, Key: this.keyOf(path) });
    const head = await this.client.send(command).catch((error: unknown) => {
      throw toDriverError(error, path);
    });
    return { size: head.ContentLength ?? 0 };
  }

  async read(path: string, range?: ReadRange): Promise<Readable> {
    return this.bucket.open(path, range);
  }

  async writeChunk(uploadId: string, offset: number, source: Readable): Promise<ChunkRef> {
    const key = pathFor({ kind: 'upload-chunk', uploadId, offset, token: randomUUID() });
    const body = await countedBody(source);
    if (body === undefined) {
      return { key, offset, size: 0 };
    }
    // Upload splits a body of unknown length into parts, holding only a few at a time.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket.name,
        Key: this.keyOf(key),
        Body: body.stream,
        ContentType: CONTENT_TYPE,
      },
      partSize: WRITE_PART_SIZE,
      queueSize: WRITE_QUEUE_SIZE,
    });
    try {
      await upload.done();
    } catch (error) {
      body.stream.destroy();
      throw toDriverError(error, key);
    }
    return { key, offset, size: body.bytes() };
  }

  async readChunks(chunks: readonly ChunkRef[]): Promise<Readable> {
    return this.bucket.concatenate(wholeChunks(chunks));
  }

  /**
   * No chunks: an empty object. One chunk no larger than a part: a CopyObject. Chunks of
   * less than the minimum part size in all: one PutObject streaming them. Anything else: a
   * multipart upload (see `planParts`).
   */
  async assemble(chunks: readonly ChunkRef[], target: string): Promise<void> {
    await this.assembleOnce(chunks, target).catch((error: unknown) => {
      throw toDriverError(error, target);
    });
  }

  private async assembleOnce(chunks: readonly ChunkRef[], target: string): Promise<void> {
    const stored = chunks.filter((chunk) => chunk.size > 0);
    const size = stored.reduce((total, chunk) => total + chunk.size, 0);
    const key = this.keyOf(target);
    if (stored.length === 0) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket.name,
          Key: key,
          Body: '',
          ContentType: CONTENT_TYPE,
        }),
      );
    } else if (stored.length === 1 && size <= this.limits.partSize) {
      const source = this.bucket.copySource(stored[0]!.key);
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket.name, Key: key, CopySource: source }),
      );
    } else if (size < this.limits.minimumPartSize) {
      await this.assembler.putPieces(key, wholeChunks(stored), size);
    } else {
      await this.assembler.uploadParts(key, planParts(stored, this.partLimitsFor(size)));
    }
  }

  async discardUpload(uploadId: string, chunks: readonly ChunkRef[]): Promise<void> {
    await this.bucket.deleteObjects(chunks.map((chunk) => chunk.key));
    // Also what the session never recorded: chunks whose write failed its size check, and
    // multipart uploads of chunk writes that died with their process.
    await this.bucket.deleteBelow(pathFor({ kind: 'upload-root', uploadId }));
  }

  async delete(path: string): Promise<void> {
    await this.bucket.deleteObjects([path]);
    await this.bucket.deleteBelow(path);
  }

  /**
   * Returns a URL that serves the object at `path` to a GET, ranges included, without
   * credentials, for `expirySeconds`. Does not check that the object exists.
   */
  async presignRead(path: string, expirySeconds: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket.name, Key: this.keyOf(path) });
    return getSignedUrl(this.client, command, { expiresIn: expirySeconds });
  }

  /**
   * Aborts the multipart uploads under the prefix begun before `olderThan`: the remains of
   * chunk writes and assemblies whose process died, which S3 keeps (and bills) until they
   * are aborted. Returns how many it aborted. Safe to run from several instances at once.
   */
  async abortStaleMultipartUploads(olderThan: Date): Promise<number> {
    return this.bucket.abortMultipartUploads(
      this.bucket.prefix,
      (upload) => upload.Initiated !== undefined && upload.Initiated < olderThan,
    );
  }

  /** Releases the client's connections. The driver is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }

  private get client(): S3Client {
    return this.bucket.client;
  }

  private keyOf(path: string): string {
    return this.bucket.keyOf(path);
  }

  /** The part limits for an object of `size` bytes: larger parts when 10,000 would not do. */
  private partLimitsFor(size: number): PartLimits {
    const partSize = Math.max(this.limits.partSize, Math.ceil(size / this.limits.maxParts));
    return { ...this.limits, partSize: Math.min(partSize, S3_MAXIMUM_PART_SIZE) };
  }
}

/** A stream of what a source sends, and the count of bytes it has passed on so far. */
interface CountedBody {
  readonly stream: Readable;
  bytes(): number;
}

/**
 * Waits for the first bytes of `source` and returns a stream of all of them that counts
 * what passes, or undefined when the source ends without a byte. Errors of the source
 * reach the returned stream; destroying the returned stream destroys the source.
 */
async function countedBody(source: Readable): Promise<CountedBody | undefined> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first = await iterator.next();
  if (first.done === true) {
    return undefined;
  }
  let count = 0;
  async function* passOn(): AsyncGenerator<Buffer> {
    try {
      for (let next = first; next.done !== true; next = await iterator.next()) {
        const bytes = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        count += bytes.length;
        yield bytes;
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { stream: Readable.from(passOn(), { objectMode: false }), bytes: () => count };
}

/**
 * Every chunk with bytes, read whole: a chunk object holds exactly its chunk, and a whole
 * read lets the SDK check the checksum the object was stored with.
 */
function wholeChunks(chunks: readonly ChunkRef[]): ObjectPiece[] {
  return chunks.filter((chunk) => chunk.size > 0).map((chunk) => ({ path: chunk.key }));
}

function checkLimits(options: S3DriverOptions): PartLimits {
  const minimumPartSize = options.minimumPartSizeBytes ?? S3_MINIMUM_PART_SIZE;
  const partSize = options.partSizeBytes;
  if (!(minimumPartSize >= 1 && partSize >= minimumPartSize && partSize <= S3_MAXIMUM_PART_SIZE)) {
    throw new Error(
      `s3: the part size must be between ${minimumPartSize} and ${S3_MAXIMUM_PART_SIZE} bytes, not ${partSize}`,
    );
  }
  return { minimumPartSize, partSize, maxParts: options.maxParts ?? S3_MAX_PARTS };
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}
