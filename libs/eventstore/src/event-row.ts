import { decodeEvent, EventMetadataSchema } from '@tidemark/events';
import type { RecordedEvent } from './recorded-event';

/** An `events` row as pg returns it (bigints as strings). */
export interface EventRow {
  position: string;
  event_id: string;
  stream: string;
  stream_version: string;
  type: string;
  schema_version: number;
  payload: unknown;
  metadata: unknown;
}

/** Decodes a row of the log into a RecordedEvent, validating its payload and metadata. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    ...decodeEvent(row.type, row.schema_version, row.payload),
    position: BigInt(row.position),
    eventId: row.event_id,
    stream: row.stream,
    streamVersion: Number(row.stream_version),
    schemaVersion: row.schema_version,
    metadata: EventMetadataSchema.parse(row.metadata),
  };
}
