import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import type { Digest } from '@tidemark/oci';
import { pathFor, PathNotFoundError, STORAGE_DRIVER, type StorageDriver } from '@tidemark/storage';

/** Postgres says a blob is committed, but storage does not show it within the window. */
export class BlobMissingFromStorageError extends Error {
  constructor(readonly digest: Digest, waitedMs: number) {
    super(`blob ${digest} committed but not visible in storage after ${waitedMs} ms`);
    this.name = 'BlobMissingFromStorageError';
  }
}

/**
 * Finds the bytes of a committed blob in storage, tolerating a store that shows new
 * objects late: it retries for a bounded window, then fails loudly (DESIGN rule 4).
 */
@Injectable()
export class BlobLocator {
  constructor(
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
  ) {}

  /** Returns the storage path of `digest` once storage shows it. */
  async locate(digest: Digest): Promise<string> {
    const path = pathFor({ kind: 'blob-data', digest });
    const started = Date.now();
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      try {
        await this.storage.stat(path);
        return path;
      } catch (error) {
        const waited = Date.now() - started;
        if (!(error instanceof PathNotFoundError)) {
          throw error;
        }
        if (waited >= this.config.readAfterWriteWindowMs) {
          throw new BlobMissingFromStorageError(digest, waited);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

