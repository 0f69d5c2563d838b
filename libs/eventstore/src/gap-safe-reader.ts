import type { Database } from '@tidemark/db';
import type { RecordedEvent } from './recorded-event';
import { toRecordedEvent, type EventRow } from './event-row';

/** A batch of events that may be delivered, and the position to continue after. */
export interface ReadBatch {
  readonly events: RecordedEvent[];
  readonly position: bigint;
}

interface BatchRow extends EventRow {
  snapshot_xmin: string;
}

/**
 * Reads the event log in position order without ever skipping an event that commits late.
 *
 * Positions come from a sequence when an event is inserted, before its transaction commits,
 * so position 12 can become visible after 13. A reader that moved past 13 would never see
 * 12. This reader delivers only a gap-free run of positions. When it meets a gap, it takes a
 * new transaction id as the gap's horizon: any transaction that could hold the missing
 * positions got its id before that, because `append` writes the stream row (assigning the
 * id) before it draws positions, and the missing positions were drawn before a later one
 * that had already committed. Once the oldest running transaction (the snapshot's `xmin`)
 * is at or past the horizon, all such transactions have ended, and a position still
 * missing was rolled back: the reader steps over it.
 *
 * The snapshot's `xmax` cannot be the horizon. It is one past the latest *completed*
 * transaction, not the next id to be assigned: a running transaction with a higher id than
 * every completed one is at or past it, and with nothing older running, `xmin` equals
 * `xmax` while that transaction can still commit the missing positions.
 */
export class GapSafeReader {
  private gap?: { position: bigint; horizon: bigint };

  constructor(
    private readonly database: Database,
    private readonly batchSize = 500,
  ) {}

  /** Returns the deliverable events after `position`, and the position reached. */
  async readAfter(position: bigint): Promise<ReadBatch> {
    const { rows } = await this.database.pool.query<BatchRow>(
      `SELECT e.*, pg_snapshot_xmin(s.snapshot)::text AS snapshot_xmin
       FROM (SELECT pg_current_snapshot() AS snapshot) s
       LEFT JOIN LATERAL (
         SELECT position, event_id, stream, stream_version, type, schema_version, payload, metadata
         FROM events WHERE position > $1 ORDER BY position LIMIT $2
       ) e ON true`,
      [position.toString(), this.batchSize],
    );
    const xmin = BigInt(rows[0]!.snapshot_xmin);
    const events: RecordedEvent[] = [];
    let reached = position;
    for (const row of rows) {
      if (row.position === null) {
        break;
      }
      const next = BigInt(row.position);
      if (next !== reached + 1n && !(await this.isGapClosed(reached + 1n, xmin))) {
        break;
      }
      events.push(toRecordedEvent(row));
      reached = next;
    }
    return { events, position: reached };
  }

  private async isGapClosed(missing: bigint, xmin: bigint): Promise<boolean> {
    if (this.gap?.position !== missing) {
      this.gap = { position: missing, horizon: await this.takeTransactionId() };
    }
    return xmin >= this.gap.horizon;
  }

  // Postgres has no way to read the next transaction id without assigning it. This costs one
  // id and one commit record per gap noticed, not per read.
  private async takeTransactionId(): Promise<bigint> {
    const { rows } = await this.database.pool.query<{ id: string }>(
      'SELECT pg_current_xact_id()::text AS id',
    );
    return BigInt(rows[0]!.id);
  }
}
