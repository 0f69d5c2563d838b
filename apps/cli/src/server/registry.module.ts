import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ConfigModule, type TidemarkConfig } from '@tidemark/config';
import { Database, DatabaseModule } from '@tidemark/db';
import { LoggerModule } from '@tidemark/observability';
import { StateModule } from '@tidemark/state';
import { StorageModule, type StorageDriver } from '@tidemark/storage';
import type { Logger } from 'pino';
import { BlobIngestModule } from '../../../blob-ingest/src/blob-ingest.module';
import { MetadataModule } from '../../../metadata/src/metadata.module';

/** What one process runs: the shared infrastructure plus one or both apps. */
@Module({})
export class RegistryModule {
  static forRoot(
    config: TidemarkConfig,
    database: Database,
    storage: StorageDriver,
    logger: Logger,
  ): DynamicModule {
    const apps: Type<unknown>[] = [];
    if (config.apps !== 'blob-ingest') {
      apps.push(MetadataModule);
    }
    if (config.apps !== 'metadata') {
      apps.push(BlobIngestModule);
    }
    return {
      module: RegistryModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logger),
        DatabaseModule.forRoot(database),
        StorageModule.forRoot(storage),
        StateModule,
        ...apps,
      ],
    };
  }
}
