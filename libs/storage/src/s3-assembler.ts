import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Bucket, ObjectPiece } from './s3-bucket';
import { isRetryable } from './s3-errors';
import type { ChunkSlice, PlannedPart } from './s3-part-plan';

// The SDK never retries a request whose body is a stream, so streamed bodies retry here.
const STREAMED_ATTEMPTS = 4;
const STREAMED_RETRY_DELAY_MS = 100;
const CONTENT_TYPE = 'application/octet-stream';

/**
 * Writes objects made of other objects' bytes: one streamed PutObject for a few small
 * pieces, a multipart upload of planned parts (server-side copies and streamed uploads)
 * for anything larger. Nothing is buffered: a streamed body is read from S3 as it is sent,
 * with its length known in advance.
 */
export class S3Assembler {
  constructor(
    private readonly bucket: S3Bucket,
    /** Parts of one upload in flight at once. */
    private readonly concurrency: number,
  ) {}

  /** Puts the pieces, `size` bytes in all, one after another as the object at `key`. */
  async putPieces(key: string, pieces: readonly ObjectPiece[], size: number): Promise<void> {
    await this.sendStreamed(pieces, (body, abortSignal) =>
      this.bucket.client.send(
        new PutObjectCommand({
          Bucket: this.bucket.name,
          Key: key,
          Body: body,
          ContentLength: size,
          ContentType: CONTENT_TYPE,
        }),
        { abortSignal },
      ),
    );
  }

  /**
   * Writes `parts` as one multipart upload onto the full key `key`. Parts are tracked here
   * as they are answered, never listed back, so uploads of more than 1000 parts complete
   * whole. Any failure aborts the upload, once no part is in flight any more.
   */
  async uploadParts(key: string, parts: readonly PlannedPart[]): Promise<void> {
    const { client, name } = this.bucket;
    const created = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: name,
        Key: key,
        ContentType: CONTENT_TYPE,
        ...(await this.checksum()),
      }),
    );
    const uploadId = created.UploadId!;
    try {
      const completed = await mapWithConcurrency(parts, this.concurrency, (part, index) =>
        this.sendPart(key, uploadId, index + 1, part),
      );
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: name,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
    } catch (error) {
      // The assembly's own error is the one to report; an upload whose abort failed is
      // left to abortStaleMultipartUploads.
      await this.bucket.abortUpload(key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  private async sendPart(
    key: string,
    uploadId: string,
    partNumber: number,
    part: PlannedPart,
  ): Promise<CompletedPart> {
    const target = {
      Bucket: this.bucket.name,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
    };
    if (part.kind === 'copy') {
      const { start, size } = part.slice;
      const answer = await this.bucket.client.send(
        new UploadPartCopyCommand({
          ...target,
          CopySource: this.bucket.copySource(part.slice.key),
          CopySourceRange: `bytes=${start}-${start + size - 1}`,
        }),
      );
      const result = answer.CopyPartResult;
      return { PartNumber: partNumber, ETag: result?.ETag, ChecksumCRC32: result?.ChecksumCRC32 };
    }
    const checksum = await this.checksum();
    const answer = await this.sendStreamed(part.slices.map(pieceOf), (body, abortSignal) =>
      this.bucket.client.send(
        new UploadPartCommand({ ...target, ...checksum, Body: body, ContentLength: part.size }),
        { abortSignal },
      ),
    );
    return { PartNumber: partNumber, ETag: answer.ETag, ChecksumCRC32: answer.ChecksumCRC32 };
  }

  /**
   * Sends a request whose body streams `pieces`, starting over (with fresh reads) when it
   * fails for a reason that may pass. A read that fails mid-way aborts the request, which
   * would otherwise wait for the missing bytes until the socket timed out. The body handed
   * to the SDK never errors itself: the SDK wraps it in a stream of its own that nobody
   * listens to once the request is gone, so an error there would be uncaught.
   */
  private async sendStreamed<T>(
    pieces: readonly ObjectPiece[],
    send: (body: Readable, abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const source = this.bucket.concatenate(pieces);
      const body = new PassThrough();
      const controller = new AbortController();
      let readError: unknown;
      source.once('error', (error) => {
        readError = error;
        controller.abort();
      });
      source.pipe(body);
      try {
        return await send(body, controller.signal);
      } catch (error) {
        source.destroy();
        body.destroy();
        const cause = readError ?? error;
        if (attempt >= STREAMED_ATTEMPTS || !isRetryable(cause)) {
          throw cause;
        }
        // A store that drops connections under load needs a moment, not an instant retry.
        await sleep(STREAMED_RETRY_DELAY_MS * attempt);
      }
    }
  }

  /**
   * The checksum a multipart upload must announce when the SDK sends CRC32 checksums with
   * bodies (its default); S3 refuses parts whose checksum the upload did not announce.
   */
  private async checksum(): Promise<{ ChecksumAlgorithm?: 'CRC32' }> {
    const calculation = await this.bucket.client.config.requestChecksumCalculation();
    return calculation === 'WHEN_SUPPORTED' ? { ChecksumAlgorithm: 'CRC32' } : {};
  }
}

function pieceOf(slice: ChunkSlice): ObjectPiece {
  return { path: slice.key, range: { start: slice.start, end: slice.start + slice.size - 1 } };
}

/**
 * Runs `work` on every item with at most `concurrency` at once and returns the results in
 * order. After a failure it starts nothing new, waits for what is running, then throws the
 * first error.
 */
async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) {
    throw failure.error;
  }
  return results;
}
