import type { Queryable } from '@tidemark/db';

/** How far a consumer is behind the head of the log. */
export interface ConsumerLag {
  readonly consumer: string;
  readonly position: bigint;
  readonly events: number;
  /** Age of the oldest event it has not applied yet; 0 when caught up. */
  readonly seconds: number;
}

/** Measures the lag of a consumer fed from the Postgres log. */
export async function measureLag(db: Queryable, consumer: string): Promise<ConsumerLag> {
  const { rows } = await db.query<{ position: string; behind: string; oldest: Date | null }>(
    `SELECT c.position,
            (SELECT count(*) FROM events e WHERE e.position > c.position) AS behind,
            (SELECT min(recorded_at) FROM events e WHERE e.position > c.position) AS oldest
     FROM (SELECT COALESCE((SELECT position FROM consumer_checkpoints WHERE consumer = $1), 0) AS position) c`,
    [consumer],
  );
  const row = rows[0]!;
  const seconds = row.oldest === null ? 0 : Math.max(0, (Date.now() - row.oldest.getTime()) / 1000);
  return { consumer, position: BigInt(row.position), events: Number(row.behind), seconds };
}
