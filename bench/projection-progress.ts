import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@tidemark/db';

const POLL_INTERVAL_MS = 50;

/** When the tag-history rows of a set of events were applied, against when they were recorded. */
export interface ApplyTimes {
  readonly events: number;
  /** First `recorded_at` to last `recorded_at`. */
  readonly recordingSeconds: number;
  /** First `recorded_at` to last `applied_at`: commit to projection for the whole set. */
  readonly endToEndSeconds: number;
  /** Last `recorded_at` to last `applied_at`: how long the backlog took to drain. */
  readonly drainSeconds: number;
}

/** Returns the highest position in the log, 0 when it is empty. */
export async function headPosition(database: Database): Promise<bigint> {
  const [row] = await database.query<{ head: string }>(
    'SELECT COALESCE(max(position), 0)::text AS head FROM events',
  );
  return BigInt(row!.head);
}

/**
 * Waits until tag-history holds a row for each of the `expected` tag events recorded after
 * `fromPosition`. Throws after `timeoutMs`, saying how far it got.
 */
export async function waitForTagHistory(
  database: Database,
  fromPosition: bigint,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await database.query<{ applied: string }>(
      'SELECT count(*) AS applied FROM projection_tag_history WHERE position > $1',
      [fromPosition.toString()],
    );
    const applied = Number(row!.applied);
    if (applied >= expected) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `tag-history applied ${applied} of ${expected} events within ${timeoutMs} ms`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Waits until every named projection has applied every event in the log (each records the
 * ids it applied in consumer_applied_events, whichever transport fed it).
 */
export async function waitForProjections(
  database: Database,
  consumers: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await database.query<{ consumer: string; behind: string }>(
      `SELECT c.consumer, (SELECT count(*) FROM events)
                - (SELECT count(*) FROM consumer_applied_events a WHERE a.consumer = c.consumer)
                AS behind
       FROM unnest($1::text[]) AS c(consumer)`,
      [consumers],
    );
    const behind = rows.filter((row) => Number(row.behind) > 0);
    if (behind.length === 0) {
      return;
    }
    if (Date.now() > deadline) {
      const detail = behind.map((row) => `${row.consumer} ${row.behind} behind`).join(', ');
      throw new Error(`projections did not catch up within ${timeoutMs} ms: ${detail}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Returns the recording and applying times of the tag-history rows after `fromPosition`. */
export async function applyTimesAfter(
  database: Database,
  fromPosition: bigint,
): Promise<ApplyTimes> {
  const [row] = await database.query<Record<keyof ApplyTimes, string>>(
    `SELECT count(*) AS events,
            extract(epoch FROM max(e.recorded_at) - min(e.recorded_at)) AS "recordingSeconds",
            extract(epoch FROM max(h.applied_at) - min(e.recorded_at)) AS "endToEndSeconds",
            extract(epoch FROM max(h.applied_at) - max(e.recorded_at)) AS "drainSeconds"
     FROM events e JOIN projection_tag_history h ON h.event_id = e.event_id
     WHERE e.position > $1`,
    [fromPosition.toString()],
  );
  return {
    events: Number(row!.events),
    recordingSeconds: Number(row!.recordingSeconds),
    endToEndSeconds: Number(row!.endToEndSeconds),
    drainSeconds: Number(row!.drainSeconds),
  };
}

/**
 * Returns, for each TagMoved recorded after `fromPosition` that tag-history applied, the
 * milliseconds from `events.recorded_at` to `projection_tag_history.applied_at`.
 */
export async function tagMoveLagsAfter(
  database: Database,
  fromPosition: bigint,
): Promise<number[]> {
  const rows = await database.query<{ lag: string }>(
    `SELECT extract(epoch FROM h.applied_at - e.recorded_at) * 1000 AS lag
     FROM events e JOIN projection_tag_history h ON h.event_id = e.event_id
     WHERE e.position > $1 AND e.type = 'TagMoved'`,
    [fromPosition.toString()],
  );
  return rows.map((row) => Number(row.lag));
}

/** Counts the TagMoved and TagDeleted events recorded after `fromPosition`. */
export async function tagEventsAfter(database: Database, fromPosition: bigint): Promise<number> {
  const [row] = await database.query<{ count: string }>(
    `SELECT count(*) AS count FROM events
     WHERE position > $1 AND type IN ('TagMoved', 'TagDeleted')`,
    [fromPosition.toString()],
  );
  return Number(row!.count);
}
