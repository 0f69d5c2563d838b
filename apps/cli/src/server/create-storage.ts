import type { TidemarkConfig } from '@tidemark/config';
import { FilesystemDriver, type StorageDriver } from '@tidemark/storage';
import { join } from 'node:path';

/** Builds the configured storage driver. */
export function createStorage(config: TidemarkConfig): StorageDriver {
  switch (config.storage.driver) {
    case 'filesystem':
      return new FilesystemDriver(config.storage.root ?? join(config.dataDir, 'storage'));
    case 's3':
      throw new Error('the s3 storage driver is not wired yet');
  }
}
