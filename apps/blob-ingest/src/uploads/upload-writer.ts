import { Inject, Injectable } from '@nestjs/common';
import {
  BlobUploadInvalidError,
  BlobUploadUnknownError,
  RangeNotSatisfiableError,
  SizeInvalidError,
  type ByteRange,
} from '@tidemark/oci';
import { UploadRepository, type UploadSession } from '@tidemark/state';
import { retryStorage, STORAGE_DRIVER, type ChunkRef, type StorageDriver } from '@tidemark/storage';
import type { Readable } from 'node:stream';
import { RunningDigest } from './running-digest';

/** A chunk of an upload as it arrived: the body and what the client said about it. */
export interface IncomingChunk {
  readonly body: Readable;
  readonly contentRange?: ByteRange;
  readonly contentLength?: number;
}

/** An upload session after a write: its size, where its bytes are, and their digest so far. */
export interface WrittenUpload {
  readonly size: number;
  readonly chunks: readonly ChunkRef[];
  readonly digest: RunningDigest;
}

// Long enough for a large chunk on a slow link; a crashed writer's lease lapses after it.
const LEASE_MS = 15 * 60 * 1000;

/**
 * Appends chunks to upload sessions. A chunk must start where the session stands (else
 * 416); its bytes go to the session's private storage key and through the running digest,
 * and only a chunk written whole is recorded, so an interrupted chunk leaves the session
 * where it was.
 */
@Injectable()
export class UploadWriter {
  constructor(
    private readonly uploads: UploadRepository,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
  ) {}

  /** Runs `work` holding the write lease of a session. Throws when unknown or busy. */
  async withLease<T>(
    repository: string,
    uploadId: string,
    work: (session: UploadSession) => Promise<T>,
  ): Promise<T> {
    const session = await this.uploads.lease(repository, uploadId, LEASE_MS);
    if (session === undefined) {
      throw new BlobUploadUnknownError({ uploadId });
    }
    if (session === 'busy') {
      throw new BlobUploadInvalidError({
        uploadId,
        reason: 'another request is writing to this upload',
      });
    }
    try {
      return await work(session);
    } finally {
      await this.uploads.release(uploadId);
    }
  }

  /**
   * Writes one chunk to a leased session and records the progress. Returns the session's
   * new size and chunk list, and the running digest.
   */
  async write(session: UploadSession, chunk: IncomingChunk): Promise<WrittenUpload> {
    checkChunk(session, chunk);
    const digest = await RunningDigest.resume(session.hashState);
    const tap = digest.tap();
    chunk.body.once('error', (error) => tap.destroy(error));
    const source = chunk.body.pipe(tap);
    // A store that failed before reading any of the body can be asked again; the body
    // cannot be read twice, so a failure after that reaches the client, which resends.
    const stored = await retryStorage(
      () => this.storage.writeChunk(session.id, session.size, source),
      { notFoundWindowMs: 0, canRepeat: () => !source.readableDidRead },
    );
    const written = stored.size;
    if (chunk.contentLength !== undefined && written !== chunk.contentLength) {
      throw new SizeInvalidError({ contentLength: chunk.contentLength, received: written });
    }
    if (chunk.contentRange && written !== chunk.contentRange.end - chunk.contentRange.start + 1) {
      throw new SizeInvalidError({ contentRange: chunk.contentRange, received: written });
    }
    const size = session.size + written;
    const chunks = written === 0 ? session.chunks : [...session.chunks, stored];
    await this.uploads.release(session.id, { size, hashState: digest.save(), chunks });
    return { size, chunks, digest };
  }
}

function checkChunk(session: UploadSession, chunk: IncomingChunk): void {
  const range = chunk.contentRange;
  if (range === undefined) {
    return;
  }
  if (range.start !== session.size) {
    throw new RangeNotSatisfiableError({ expectedStart: session.size, contentRange: range });
  }
  if (chunk.contentLength !== undefined && chunk.contentLength !== range.end - range.start + 1) {
    throw new RangeNotSatisfiableError({ contentLength: chunk.contentLength, contentRange: range });
  }
}
