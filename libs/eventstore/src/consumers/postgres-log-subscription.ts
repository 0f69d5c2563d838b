import type { Database } from '@tidemark/db';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { GapSafeReader } from '../gap-safe-reader';
import { CheckpointRepository } from './checkpoint.repository';
import type { EventConsumer } from './event-consumer';

/** Options of a subscription to the Postgres log. */
export interface PostgresLogOptions {
  /** How long to wait before looking again when the log had nothing new. */
  readonly idleMs?: number;
  readonly batchSize?: number;
  /** Called when a batch fails; the batch is retried after `idleMs`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Feeds a consumer from the Postgres event log directly: the standalone transport, with no
 * Kafka. One process at a time runs a given consumer (a session advisory lock keyed by its
 * name); others wait as standbys and take over if it dies. The checkpoint is written after
 * each batch, so a crash in between redelivers that batch.
 */
export class PostgresLogSubscription {
  private isStopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly database: Database,
    private readonly consumer: EventConsumer,
    private readonly options: PostgresLogOptions = {},
  ) {}

  /** Starts delivering in the background. */
  start(): void {
    this.running ??= this.run();
  }

  /** Stops after the batch in hand and waits for it. */
  async stop(): Promise<void> {
    this.isStopped = true;
    await this.running;
  }

  /** Delivers everything committed so far, then returns: for tests and replays. */
  async drain(): Promise<void> {
    const checkpoints = new CheckpointRepository(this.database.pool);
    const reader = new GapSafeReader(this.database, this.options.batchSize);
    while (await this.deliverBatch(reader, checkpoints)) {
      // Keep going until a read brings nothing new.
    }
  }

  private async run(): Promise<void> {
    const leader = await this.database.pool.connect();
    try {
      await this.waitForLeadership(leader);
      const checkpoints = new CheckpointRepository(this.database.pool);
      const reader = new GapSafeReader(this.database, this.options.batchSize);
      while (!this.isStopped) {
        const hasMore = await this.deliverBatch(reader, checkpoints).catch((error: unknown) => {
          this.options.onError?.(error);
          return false;
        });
        if (!hasMore) {
          await sleep(this.options.idleMs ?? 200);
        }
      }
    } finally {
      await leader.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      leader.release();
    }
  }

  private async deliverBatch(
    reader: GapSafeReader,
    checkpoints: CheckpointRepository,
  ): Promise<boolean> {
    const position = await checkpoints.get(this.consumer.name);
    const batch = await reader.readAfter(position);
    if (batch.events.length === 0 && batch.position === position) {
      return false;
    }
    await this.consumer.handle(batch.events);
    await checkpoints.advance(this.consumer.name, position, batch.position);
    return true;
  }

  private async waitForLeadership(connection: PoolClient): Promise<void> {
    const key = lockKey(this.consumer.name);
    while (!this.isStopped) {
      const { rows } = await connection.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [key],
      );
      if (rows[0]!.locked) {
        return;
      }
      await sleep(this.options.idleMs ?? 200);
    }
  }
}

function lockKey(name: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`),
  ).toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
