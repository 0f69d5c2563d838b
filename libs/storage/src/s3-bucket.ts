import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type MultipartUpload,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { concatenate } from './concatenate';
import { statusOf, toDriverError } from './s3-errors';
import type { ReadRange } from './storage-driver';

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
const MAX_KEYS_PER_DELETE = 1000;

/** An object to read, whole or a range of it. */
export interface ObjectPiece {
  readonly path: string;
  readonly range?: ReadRange;
}

/**
 * One bucket through one client, every key under a prefix: the reads, deletes and
 * multipart housekeeping the S3 driver and its assembler share. Methods take the
 * registry's keys (from `pathFor`); the prefix is put before them here and nowhere else.
 */
export class S3Bucket {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    /** Empty, or ends with `/`. */
    readonly prefix: string,
  ) {}

  /** The full key of `path` in the bucket. */
  keyOf(path: string): string {
    return `${this.prefix}${path}`;
  }

  /** The `x-amz-copy-source` value naming the object at `path`. */
  copySource(path: string): string {
    const key = this.keyOf(path).split('/').map(encodeURIComponent).join('/');
    return `${this.name}/${key}`;
  }

  /** Opens the object at `path`, or `range` of it. Throws PathNotFoundError when absent. */
  async open(path: string, range?: ReadRange): Promise<Readable> {
    const command = new GetObjectCommand({
      Bucket: this.name,
      Key: this.keyOf(path),
      Range: range === undefined ? undefined : `bytes=${range.start}-${range.end}`,
    });
    const answer = await this.client.send(command).catch((error: unknown) => {
      throw toDriverError(error, path);
    });
    return answer.Body as Readable;
  }

  /**
   * Streams the pieces one after another, each from its own GetObject opened when the one
   * before has ended. A piece that cannot be read destroys the stream with the error.
   */
  concatenate(pieces: readonly ObjectPiece[]): Readable {
    return concatenate(pieces.map((piece) => () => this.open(piece.path, piece.range)));
  }

  /** Deletes the objects at `paths`. Absent objects are not an error. */
  async deleteObjects(paths: readonly string[]): Promise<void> {
    await this.deleteKeys([...new Set(paths)].map((path) => this.keyOf(path)));
  }

  /**
   * Deletes every object whose key starts with `path/`, and aborts the multipart uploads
   * there. Lists only to find garbage: nothing is decided from what a listing shows.
   */
  async deleteBelow(path: string): Promise<void> {
    const prefix = `${this.keyOf(path)}/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token }),
      );
      await this.deleteKeys((page.Contents ?? []).map((object) => object.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    await this.abortMultipartUploads(prefix, () => true);
  }

  /**
   * Aborts the multipart uploads whose keys start with `keyPrefix` (a full key prefix) and
   * that `isChosen` picks. Returns how many it aborted. An upload that finishes or is
   * aborted by someone else meanwhile is no error.
   */
  async abortMultipartUploads(
    keyPrefix: string,
    isChosen: (upload: MultipartUpload) => boolean,
  ): Promise<number> {
    let aborted = 0;
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.name, Prefix: keyPrefix, ...markers }),
      );
      for (const upload of (page.Uploads ?? []).filter(isChosen)) {
        await this.abortUpload(upload.Key!, upload.UploadId!);
        aborted++;
      }
      if (!page.IsTruncated) {
        return aborted;
      }
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  }

  /** Aborts one multipart upload by its full key. Throws unless it is gone afterwards. */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.name, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      // Another instance (or the upload's own process) finished or aborted it meanwhile.
      if (statusOf(error) !== 404) {
        throw error;
      }
    }
  }

  /** Deletes objects by their full keys, in batches. Absent keys are not an error. */
  private async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += MAX_KEYS_PER_DELETE) {
      const batch = keys.slice(start, start + MAX_KEYS_PER_DELETE);
      const answer = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.name,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = (answer.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const [first] = failed;
        throw new Error(
          `s3: could not delete ${failed.length} objects, e.g. ${first!.Key}: ${first!.Code}`,
        );
      }
    }
  }
}
