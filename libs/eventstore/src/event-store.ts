import { randomUUID } from 'node:crypto';
import type { Database, Transaction } from '@tidemark/db';
import { CURRENT_SCHEMA_VERSION, type EventMetadata, type RegistryEvent } from '@tidemark/events';
import { StreamConflictError, type ExpectedVersion } from './concurrency';
import { toRecordedEvent, type EventRow } from './event-row';
import type { RecordedEvent } from './recorded-event';

/**
 * The append-only log of registry events in Postgres. Appends happen inside the caller's
 * transaction, so the state tables derived from the same events commit with them.
 */
export class EventStore {
  constructor(private readonly database: Database) {}

  /** Returns the version of `stream`: the number of events in it (0 when empty). */
  async streamVersion(tx: Transaction, stream: string): Promise<number> {
    const { rows } = await tx.query<{ version: string }>(
      'SELECT version FROM streams WHERE stream = $1',
      [stream],
    );
    return rows.length === 0 ? 0 : Number(rows[0]!.version);
  }

  /**
   * Locks `stream` (creating it if new) until `tx` ends and returns its version. An append
   * in the same transaction with that version as expectedVersion cannot then conflict.
   */
  async lockStream(tx: Transaction, stream: string): Promise<number> {
    await tx.query('INSERT INTO streams (stream, version) VALUES ($1, 0) ON CONFLICT DO NOTHING', [
      stream,
    ]);
    const { rows } = await tx.query<{ version: string }>(
      'SELECT version FROM streams WHERE stream = $1 FOR UPDATE',
      [stream],
    );
    return Number(rows[0]!.version);
  }

  /**
   * Appends `events` to `stream` inside `tx` and returns them as recorded. With a numeric
   * `expectedVersion` it throws StreamConflictError unless the stream is at exactly that
   * version (optimistic concurrency); with 'any' it only orders the append after the others.
   * Either way the stream row stays locked until `tx` ends, so stream order is commit order.
   */
  async append(
    tx: Transaction,
    stream: string,
    expectedVersion: ExpectedVersion,
    events: readonly RegistryEvent[],
    metadata: EventMetadata,
  ): Promise<RecordedEvent[]> {
    if (events.length === 0) {
      return [];
    }
    const newVersion = await this.advanceStream(tx, stream, expectedVersion, events.length);
    const firstVersion = newVersion - events.length + 1;
    const eventIds = events.map(() => randomUUID());
    const { rows } = await tx.query<{ event_id: string; position: string }>(
      `INSERT INTO events (event_id, stream, stream_version, type, schema_version, payload, metadata)
       SELECT id, $2, $3::bigint + ordinality - 1, type, $4, payload, $5
       FROM unnest($1::uuid[], $6::text[], $7::jsonb[]) WITH ORDINALITY AS e(id, type, payload)
       ORDER BY ordinality
       RETURNING event_id, position`,
      [
        eventIds,
        stream,
        firstVersion,
        CURRENT_SCHEMA_VERSION,
        JSON.stringify(metadata),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.payload)),
      ],
    );
    const positions = new Map(rows.map((row) => [row.event_id, BigInt(row.position)]));
    return events.map((event, index) => ({
      ...event,
      position: positions.get(eventIds[index]!)!,
      eventId: eventIds[index]!,
      stream,
      streamVersion: firstVersion + index,
      schemaVersion: CURRENT_SCHEMA_VERSION,
      metadata,
    }));
  }

  /** Reads up to `limit` committed events after `afterPosition`, in position order. */
  async readAfter(
    afterPosition: bigint,
    limit: number,
    tx?: Transaction,
  ): Promise<RecordedEvent[]> {
    const { rows } = await (tx ?? this.database.pool).query<EventRow>(
      `SELECT position, event_id, stream, stream_version, type, schema_version, payload, metadata
       FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
      [afterPosition.toString(), limit],
    );
    return rows.map(toRecordedEvent);
  }

  /** Reads every event of `stream` in stream order. */
  async readStream(stream: string): Promise<RecordedEvent[]> {
    const { rows } = await this.database.pool.query<EventRow>(
      `SELECT position, event_id, stream, stream_version, type, schema_version, payload, metadata
       FROM events WHERE stream = $1 ORDER BY stream_version`,
      [stream],
    );
    return rows.map(toRecordedEvent);
  }

  private async advanceStream(
    tx: Transaction,
    stream: string,
    expectedVersion: ExpectedVersion,
    count: number,
  ): Promise<number> {
    await tx.query('INSERT INTO streams (stream, version) VALUES ($1, 0) ON CONFLICT DO NOTHING', [
      stream,
    ]);
    const { rows } = await tx.query<{ version: string }>(
      `UPDATE streams SET version = version + $2
       WHERE stream = $1 AND ($3::bigint IS NULL OR version = $3::bigint)
       RETURNING version`,
      [stream, count, expectedVersion === 'any' ? null : expectedVersion],
    );
    if (rows.length === 0) {
      throw new StreamConflictError(stream, expectedVersion as number);
    }
    return Number(rows[0]!.version);
  }
}
