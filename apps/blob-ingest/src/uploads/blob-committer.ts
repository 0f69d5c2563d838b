import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import { Database, type Transaction } from '@tidemark/db';
import { registryEvent, type EventMetadata } from '@tidemark/events';
import { retryOnConflict } from '@tidemark/eventstore';
import { algorithmOf, DigestInvalidError, type Digest } from '@tidemark/oci';
import {
  BlobRepository,
  EventRecorder,
  UploadRepository,
  type UploadSession,
} from '@tidemark/state';
import {
  pathFor,
  PathNotFoundError,
  retryStorage,
  STORAGE_DRIVER,
  type ChunkRef,
  type StorageDriver,
} from '@tidemark/storage';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { WrittenUpload } from './upload-writer';

/**
 * Turns a finished upload into a blob: verifies the digest, moves the bytes to their
 * content-addressed key, then records BlobPushed. The move comes first: if the database
 * write fails, the blob key holds correct bytes that nothing references yet (garbage, never
 * corruption). Two uploads of one digest both succeed and write identical bytes.
 */
@Injectable()
export class BlobCommitter {
  private readonly logger = new Logger(BlobCommitter.name);

  constructor(
    private readonly database: Database,
    private readonly recorder: EventRecorder,
    private readonly blobs: BlobRepository,
    private readonly uploads: UploadRepository,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
  ) {}

  /** Commits `session` as `expected`, or throws DIGEST_INVALID and discards the upload. */
  async commit(
    session: UploadSession,
    upload: WrittenUpload,
    expected: Digest,
    metadata: EventMetadata,
  ): Promise<void> {
    const actual = await this.digestOf(upload, expected);
    if (actual !== expected) {
      await this.discard(session, upload.chunks);
      throw new DigestInvalidError({ expected, actual });
    }
    await this.storeBlob(upload, expected);
    await retryOnConflict(() =>
      this.database.transaction(async (tx) => {
        await this.linkBlob(tx, session.repository, expected, upload.size, metadata);
        await this.uploads.delete(session.id, tx);
      }),
    );
    await this.discardBytes(session.id, upload.chunks);
  }

  /**
   * Moves the upload's bytes onto the blob's key, repeating the move while the store fails or
   * does not show the chunks yet. A failed move may have happened anyway (its answer lost),
   * and another upload of the digest may have stored it: once the chunks are gone, the key
   * holding the upload's size means the blob is stored, because that key only ever receives
   * these bytes. Throws when neither happens within the read-after-write window, so no
   * BlobPushed is ever recorded for a blob that storage does not hold.
   */
  private async storeBlob(upload: WrittenUpload, digest: Digest): Promise<void> {
    const target = pathFor({ kind: 'blob-data', digest });
    const move = async (): Promise<void> => {
      try {
        await this.storage.assemble(upload.chunks, target);
      } catch (error) {
        if (!(error instanceof PathNotFoundError) || !(await this.holds(target, upload.size))) {
          throw error;
        }
      }
    };
    await retryStorage(move, { notFoundWindowMs: this.config.readAfterWriteWindowMs });
  }

  /** Returns true when storage shows an object of `size` bytes at `path`. */
  private async holds(path: string, size: number): Promise<boolean> {
    try {
      return (await this.storage.stat(path)).size === size;
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Records BlobPushed unless the repository already links the blob: pushing the same
   * bytes again changes nothing, so it is no event. The expected stream version makes two
   * concurrent commits of one digest record it once.
   */
  private async linkBlob(
    tx: Transaction,
    repository: string,
    digest: Digest,
    size: number,
    metadata: EventMetadata,
  ): Promise<void> {
    const version = await this.recorder.lockStream(tx, repository);
    if ((await this.blobs.findLinked(repository, digest, tx)) !== undefined) {
      return;
    }
    const event = registryEvent('BlobPushed', { repository, digest, size });
    await this.recorder.record(tx, repository, version, [event], metadata);
  }

  /** Deletes a session's bytes and row. Idempotent. */
  async discard(
    session: UploadSession,
    chunks: readonly ChunkRef[] = session.chunks,
  ): Promise<void> {
    await this.uploads.delete(session.id);
    await this.discardBytes(session.id, chunks);
  }

  /**
   * Deletes the bytes of an upload that nothing refers to any more, repeating the delete while
   * the store fails. They are garbage by then, so a store that keeps failing leaves them
   * behind rather than failing a request whose work is done.
   */
  private async discardBytes(uploadId: string, chunks: readonly ChunkRef[]): Promise<void> {
    try {
      await retryStorage(() => this.storage.discardUpload(uploadId, chunks), {
        notFoundWindowMs: 0,
      });
    } catch (error) {
      // TODO: nothing collects upload bytes left behind here yet; they cost storage until
      // an upload purge removes them by hand, never correctness.
      this.logger.warn({ err: error, uploadId }, 'upload bytes left behind');
    }
  }

  private async digestOf(upload: WrittenUpload, expected: Digest): Promise<string> {
    if (algorithmOf(expected) === 'sha256') {
      return upload.digest.finish();
    }
    // Only sha256 runs alongside the upload; other algorithms re-read the bytes once.
    this.logger.debug({ algorithm: algorithmOf(expected), size: upload.size }, 'upload re-hashed');
    const rehash = async (): Promise<string> => {
      const hash = createHash(algorithmOf(expected));
      await pipeline(await this.storage.readChunks(upload.chunks), hash);
      return hash.digest('hex');
    };
    const notFoundWindowMs = this.config.readAfterWriteWindowMs;
    return `${algorithmOf(expected)}:${await retryStorage(rehash, { notFoundWindowMs })}`;
  }
}
