import type { Database } from '@tidemark/db';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import { GapSafeReader } from '../gap-safe-reader';
import { CheckpointRepository } from './checkpoint.repository';
import type { EventConsumer } from './event-consumer';

/** Options of a subscription to the Postgres log. */
export interface PostgresLogOptions {
  /** How long to wait before looking again when the log had nothing new. */
  readonly idleMs?: number;
  readonly batchSize?: number;
  /** Longest wait between retries after failures; default 10 s. */
  readonly maxBackoffMs?: number;
  /** Receives failed batches, lost lock connections and leadership changes. */
  readonly logger?: Logger;
  /**
   * For fault tests only: waits this long after a batch was handled and before the checkpoint
   * moves, so that a test can kill the process at exactly that point. Never set in production.
   */
  readonly pauseBeforeCheckpointMs?: number;
}

/**
 * Feeds a consumer from the Postgres event log directly: the standalone transport, with no
 * Kafka. One process at a time runs a given consumer (a session advisory lock keyed by its
 * name, held on a connection of its own); others wait as standbys and take over if it dies.
 * The checkpoint is written after each batch, so a crash in between redelivers that batch.
 *
 * Failures never end the subscription: a failed batch is retried, and a lock connection that
 * fails or drops (Postgres restarting, an admin terminating the backend) is replaced and the
 * lock taken again, with a growing pause between attempts. A leader checks its lock connection
 * before each batch, so after losing it, it delivers at most the batch in hand before it
 * stands down; should another instance take over meanwhile, the two overlap for that batch
 * only, which the consumer's idempotency and the checkpoint's compare-and-set absorb.
 */
export class PostgresLogSubscription {
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private failures = 0;

  constructor(
    private readonly database: Database,
    private readonly consumer: EventConsumer,
    private readonly options: PostgresLogOptions = {},
  ) {}

  /** Starts delivering in the background, until `stop`. Never rejects. */
  start(): void {
    this.running ??= this.runUntilStopped();
  }

  /** Stops after the batch in hand and waits for it. Idempotent. */
  async stop(): Promise<void> {
    this.stopping.abort();
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

  private get isStopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private get idleMs(): number {
    return this.options.idleMs ?? 200;
  }

  private async runUntilStopped(): Promise<void> {
    while (!this.isStopped) {
      try {
        await this.lead();
      } catch (error) {
        this.options.logger?.warn(
          { consumer: this.consumer.name, err: error, retryInMs: this.backoffMs() },
          'consumer lock connection failed',
        );
        await this.pauseAfterFailure();
      }
    }
  }

  /**
   * Takes the lock on a connection of its own and delivers until stopped or the connection
   * fails.
   */
  private async lead(): Promise<void> {
    const leader = await this.database.pool.connect();
    let lost: Error | undefined;
    // A checked-out client whose server goes away emits 'error'; unheard, it kills the process.
    const onError = (error: Error): void => {
      lost = error;
    };
    leader.on('error', onError);
    try {
      if (await this.waitForLeadership(leader)) {
        this.options.logger?.info({ consumer: this.consumer.name }, 'consumer leadership taken');
        await this.deliverWhileLeading(leader);
      }
    } catch (error) {
      lost ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      await this.releaseLeader(leader, lost);
      if (lost === undefined) {
        // Back in the pool, healthy; a destroyed client keeps the listener for late errors.
        leader.off('error', onError);
      }
    }
  }

  private async deliverWhileLeading(leader: PoolClient): Promise<void> {
    const checkpoints = new CheckpointRepository(this.database.pool);
    const reader = new GapSafeReader(this.database, this.options.batchSize);
    while (!this.isStopped) {
      // Throws when the connection, and with it the lock, is gone.
      await leader.query('SELECT 1');
      const hasMore = await this.deliverBatch(reader, checkpoints, true).then(
        (delivered) => this.succeeded(delivered),
        (error: unknown) => this.batchFailed(error),
      );
      if (!hasMore) {
        await this.pause(this.failures > 0 ? this.backoffMs() : this.idleMs);
      }
    }
  }

  private async deliverBatch(
    reader: GapSafeReader,
    checkpoints: CheckpointRepository,
    isLive = false,
  ): Promise<boolean> {
    const position = await checkpoints.get(this.consumer.name);
    const batch = await reader.readAfter(position);
    if (batch.events.length === 0 && batch.position === position) {
      return false;
    }
    await this.consumer.handle(batch.events);
    if (isLive) {
      await this.holdCheckpointForTest(batch.events.length);
    }
    await checkpoints.advance(this.consumer.name, position, batch.position);
    return true;
  }

  private async holdCheckpointForTest(events: number): Promise<void> {
    const pauseMs = this.options.pauseBeforeCheckpointMs ?? 0;
    if (pauseMs <= 0 || events === 0) {
      return;
    }
    this.options.logger?.info(
      { consumer: this.consumer.name, events, pauseMs },
      'checkpoint held for a fault test',
    );
    await delay(pauseMs);
  }

  private succeeded(hasMore: boolean): boolean {
    this.failures = 0;
    return hasMore;
  }

  private batchFailed(error: unknown): boolean {
    this.failures++;
    this.options.logger?.error(
      { consumer: this.consumer.name, err: error, failures: this.failures },
      'consumer batch failed',
    );
    return false;
  }

  /** Polls for the consumer's lock; true once held, false when stopped first. */
  private async waitForLeadership(connection: PoolClient): Promise<boolean> {
    const key = consumerLockKey(this.consumer.name);
    while (!this.isStopped) {
      const { rows } = await connection.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [key],
      );
      if (rows[0]!.locked) {
        this.failures = 0;
        return true;
      }
      await this.pause(this.idleMs);
    }
    return false;
  }

  private async releaseLeader(leader: PoolClient, lost: Error | undefined): Promise<void> {
    if (lost === undefined) {
      await leader.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    }
    // A broken connection is destroyed rather than returned to the pool.
    leader.release(lost);
  }

  private async pauseAfterFailure(): Promise<void> {
    const waitMs = this.backoffMs();
    this.failures++;
    await this.pause(waitMs);
  }

  /** idleMs, doubled for each failure in a row, up to maxBackoffMs. */
  private backoffMs(): number {
    const maxMs = this.options.maxBackoffMs ?? 10_000;
    return Math.min(maxMs, this.idleMs * 2 ** Math.min(this.failures, 16));
  }

  /** Sleeps `ms`, or less when stopped meanwhile. */
  private async pause(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}

/**
 * Returns the advisory lock key of a consumer: the first 8 bytes of the sha256 of its name,
 * as a signed 64-bit integer in decimal. Only one session at a time holds it.
 */
export function consumerLockKey(name: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`),
  ).toString();
}
