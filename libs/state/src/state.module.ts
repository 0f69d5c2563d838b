import { Global, Module } from '@nestjs/common';
import { Database } from '@tidemark/db';
import { EventStore } from '@tidemark/eventstore';
import { BlobRepository } from './blob.repository';
import { CatalogRepository } from './catalog.repository';
import { EventRecorder } from './event-recorder';
import { ManifestRepository } from './manifest.repository';
import { StateProjector } from './state-projector';
import { TagRepository } from './tag.repository';
import { UploadRepository } from './upload.repository';

const READERS = [
  BlobRepository,
  CatalogRepository,
  ManifestRepository,
  TagRepository,
  UploadRepository,
];

/** Provides the event store, the state projector and the state readers. */
@Global()
@Module({
  providers: [
    {
      provide: EventStore,
      useFactory: (database: Database) => new EventStore(database),
      inject: [Database],
    },
    { provide: StateProjector, useValue: new StateProjector() },
    {
      provide: EventRecorder,
      useFactory: (store: EventStore, projector: StateProjector) =>
        new EventRecorder(store, projector),
      inject: [EventStore, StateProjector],
    },
    ...READERS.map((reader) => ({
      provide: reader,
      useFactory: (database: Database) => new reader(database.pool),
      inject: [Database],
    })),
  ],
  exports: [EventStore, StateProjector, EventRecorder, ...READERS],
})
export class StateModule {}
