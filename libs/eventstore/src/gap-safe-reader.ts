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
  snapshot_xmax: string;
}

/**
 * Reads the event log in position order without ever skipping an event that commits late.
 *
 * Positions come from a sequence when an event is inserted, before its transaction commits,
 * so position 12 can become visible after 13. A reader that moved past 13 would never see
 * 12. This reader delivers only a gap-free run of positions. When it meets a gap, it notes
 * the snapshot's `xmax` (the first transaction id not yet assigned): any transaction that
 * could hold the missing positions got its id before that, because `append` writes the
 * stream row (assigning the id) before it draws positions. Once the oldest running
 * transaction (`xmin`) is at or past the noted `xmax`, all such transactions have ended,
 * and a position still missing was rolled back: the reader steps over it.
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
      `SELECT e.*, pg_snapshot_xmin(s.snapshot)::text AS snapshot_xmin,
              pg_snapshot_xmax(s.snapshot)::text AS snapshot_xmax
       FROM (SELECT pg_current_snapshot() AS snapshot) s
       LEFT JOIN LATERAL (
         SELECT position, event_id, stream, stream_version, type, schema_version, payload, metadata
         FROM events WHERE position > $1 ORDER BY position LIMIT $2
       ) e ON true`,
      [position.toString(), this.batchSize],
    );
    const xmin = BigInt(rows[0]!.snapshot_xmin);
    const xmax = BigInt(rows[0]!.snapshot_xmax);
    const events: RecordedEvent[] = [];
    let reached = position;
    for (const row of rows) {
      if (row.position === null) {
        break;
      }
      const next = BigInt(row.position);
      if (next !== reached + 1n && !this.isGapClosed(reached + 1n, xmin, xmax)) {
        break;
      }
      events.push(toRecordedEvent(row));
      reached = next;
    }
    return { events, position: reached };
  }

  private isGapClosed(missing: bigint, xmin: bigint, xmax: bigint): boolean {
    if (this.gap?.position !== missing) {
      this.gap = { position: missing, horizon: xmax };
    }
    return xmin >= this.gap.horizon;
  }
}
