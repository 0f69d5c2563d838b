import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import type { ByteRange, Digest } from '@tidemark/oci';
import {
  pathFor,
  PathNotFoundError,
  readResuming,
  retryStorage,
  STORAGE_DRIVER,
  type StorageDriver,
} from '@tidemark/storage';
import type { Readable } from 'node:stream';

/** Postgres says a blob is committed, but storage does not show it within the window. */
export class BlobMissingFromStorageError extends Error {
  constructor(
    readonly digest: Digest,
    waitedMs: number,
    options?: ErrorOptions,
  ) {
    super(`blob ${digest} committed but not visible in storage after ${waitedMs} ms`, options);
    this.name = 'BlobMissingFromStorageError';
  }
}

/**
 * Finds the bytes of a committed blob in storage, tolerating a store that shows new objects
 * late (to stat, to reads, or to one and not yet the other) and that fails now and then: it
 * retries for a bounded window, then fails loudly (DESIGN rule 4).
 */
@Injectable()
export class BlobLocator {
  constructor(
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
  ) {}

  /**
   * Returns the storage path of `digest` once storage shows it. Throws
   * BlobMissingFromStorageError when it does not within the window.
   */
  async locate(digest: Digest): Promise<string> {
    const path = pathFor({ kind: 'blob-data', digest });
    await this.retry(digest, () => this.storage.stat(path));
    return path;
  }

  /**
   * Opens a stream over the `size` bytes of `digest`, or `range` of them, once storage shows
   * them. A stream the store breaks off part-way is resumed where it broke (the bytes under
   * a digest never change), so a client sees a broken body only when the store keeps
   * failing. Throws BlobMissingFromStorageError when storage does not show the blob within
   * the window.
   */
  async open(digest: Digest, size: number, range?: ByteRange): Promise<Readable> {
    const path = pathFor({ kind: 'blob-data', digest });
    if (size === 0) {
      return this.retry(digest, () => this.storage.read(path));
    }
    return readResuming(
      (part) => this.retry(digest, () => this.storage.read(path, part)),
      range ?? { start: 0, end: size - 1 },
    );
  }

  private async retry<T>(digest: Digest, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await retryStorage(call, { notFoundWindowMs: this.config.readAfterWriteWindowMs });
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        throw new BlobMissingFromStorageError(digest, Date.now() - started, { cause: error });
      }
      throw error;
    }
  }
}
