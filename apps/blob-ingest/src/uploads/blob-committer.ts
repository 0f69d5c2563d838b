import { Inject, Injectable, Logger } from '@nestjs/common';
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
import { pathFor, STORAGE_DRIVER, type ChunkRef, type StorageDriver } from '@tidemark/storage';
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
    await this.storage.assemble(upload.chunks, pathFor({ kind: 'blob-data', digest: expected }));
    await retryOnConflict(() =>
      this.database.transaction(async (tx) => {
        await this.linkBlob(tx, session.repository, expected, upload.size, metadata);
        await this.uploads.delete(session.id, tx);
      }),
    );
    await this.storage.discardUpload(session.id, upload.chunks);
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
    await this.storage.discardUpload(session.id, chunks);
  }

  private async digestOf(upload: WrittenUpload, expected: Digest): Promise<string> {
    if (algorithmOf(expected) === 'sha256') {
      return upload.digest.finish();
    }
    // Only sha256 runs alongside the upload; other algorithms re-read the bytes once.
    this.logger.debug({ algorithm: algorithmOf(expected), size: upload.size }, 'upload re-hashed');
    const hash = createHash(algorithmOf(expected));
    await pipeline(await this.storage.readChunks(upload.chunks), hash);
    return `${algorithmOf(expected)}:${hash.digest('hex')}`;
  }
}
