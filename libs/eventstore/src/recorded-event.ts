import type { EventMetadata, RegistryEvent } from '@tidemark/events';

/** An event as the log holds it: its global position, stream place and metadata. */
export type RecordedEvent = RegistryEvent & {
  readonly position: bigint;
  readonly eventId: string;
  readonly stream: string;
  readonly streamVersion: number;
  readonly schemaVersion: number;
  readonly metadata: EventMetadata;
};
