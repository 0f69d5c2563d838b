import type { Queryable } from '@tidemark/db';

/** Where each consumer of the Postgres log stands. */
export class CheckpointRepository {
  constructor(private readonly db: Queryable) {}

  /** Returns the last position the consumer finished, 0 when it never ran. */
  async get(consumer: string): Promise<bigint> {
    const { rows } = await this.db.query<{ position: string }>(
      'SELECT position FROM consumer_checkpoints WHERE consumer = $1',
      [consumer],
    );
    return rows.length === 0 ? 0n : BigInt(rows[0]!.position);
  }

  /**
   * Moves the checkpoint from `from` to `to`, unless someone else moved it meanwhile (a
   * replay resetting it to 0, say). Returns false then, and the caller re-reads.
   */
  async advance(consumer: string, from: bigint, to: bigint): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO consumer_checkpoints (consumer, position) VALUES ($1, $3)
       ON CONFLICT (consumer) DO UPDATE SET position = $3, updated_at = now()
       WHERE consumer_checkpoints.position = $2`,
      [consumer, from.toString(), to.toString()],
    );
    return rowCount === 1;
  }

  /** Sets the checkpoint unconditionally. */
  async set(consumer: string, position: bigint): Promise<void> {
    await this.db.query(
      `INSERT INTO consumer_checkpoints (consumer, position) VALUES ($1, $2)
       ON CONFLICT (consumer) DO UPDATE SET position = $2, updated_at = now()`,
      [consumer, position.toString()],
    );
  }
}
