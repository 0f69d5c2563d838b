import { decodeEvent, EventMetadataSchema } from '@tidemark/events';
import type { RecordedEvent } from '../recorded-event';

/** The JSON form of a recorded event on the Kafka topic. Positions travel as strings. */
interface WireEvent {
  eventId: string;
  position: string;
  stream: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  payload: unknown;
  metadata: unknown;
}

/** Encodes an event as the relay publishes it. */
export function encodeEvent(event: RecordedEvent): Buffer {
  const wire: WireEvent = {
    eventId: event.eventId,
    position: event.position.toString(),
    stream: event.stream,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    payload: event.payload,
    metadata: event.metadata,
  };
  return Buffer.from(JSON.stringify(wire));
}

/** Decodes a message value, validating it like a row of the log. Throws on anything else. */
export function decodeWireEvent(value: Buffer): RecordedEvent {
  const wire = JSON.parse(value.toString('utf8')) as WireEvent;
  return {
    ...decodeEvent(wire.type, wire.schemaVersion, wire.payload),
    position: BigInt(wire.position),
    eventId: wire.eventId,
    stream: wire.stream,
    streamVersion: wire.streamVersion,
    schemaVersion: wire.schemaVersion,
    metadata: EventMetadataSchema.parse(wire.metadata),
  };
}
