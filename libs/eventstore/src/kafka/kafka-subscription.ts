import type { Database } from '@tidemark/db';
import type { Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EventConsumer } from '../consumers/event-consumer';
import type { RecordedEvent } from '../recorded-event';
import { decodeWireEvent } from './event-codec';

/** How far a Kafka-fed consumer is behind, over every partition of its topic. */
export interface KafkaLag {
  /** Messages on the topic its group has not committed yet. */
  readonly events: number;
  /**
   * Age of the oldest of them that an instance has seen: 0 when there are none; null when
   * no partition that is behind has been read yet, so nothing knows how old its messages
   * are. Partitions not read yet do not count, so this is then a lower bound.
   */
  readonly seconds: number | null;
}

/** What a Kafka subscription reads, what it feeds, and where it reports. */
export interface KafkaSubscriptionOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly target: EventConsumer;
  /** Where the age of pending events is written down for `lag`. */
  readonly database: Database;
  /** Receives crashes, restarts and skipped messages. */
  readonly logger?: Logger;
  /**
   * For fault tests only: waits this long after a batch was applied and before its offsets
   * are committed, so that a test can kill the process at exactly that point. Never set in
   * production.
   */
  readonly pauseBeforeCommitMs?: number;
  /** How long to wait before starting again after a crash kafkajs does not recover from. */
  readonly restartDelayMs?: number;
}

/**
 * Feeds a consumer from the Kafka topic, in a consumer group named after it, so instances
 * running the same consumer share the partitions. Offsets are committed only after a
 * batch was handled, so a consumer killed mid-batch gets the batch again.
 *
 * A message that cannot be decoded into an event (not JSON, an unknown type or schema
 * version, a payload its schema refuses) is logged at error with its topic, partition and
 * offset, and skipped: retrying cannot make it readable, and it would block every later
 * message of its partition. The Postgres log stays the truth, so once the cause is fixed
 * `tidemark replay <consumer>` rebuilds what the skip left out. A consumer crash is logged;
 * kafkajs restarts after retriable ones, and this class restarts after the others.
 *
 * Around each batch it writes down in Postgres, per partition, when the oldest event it
 * has not applied was recorded (the relay stamps each message with its event's time), so
 * that `lag` can tell the age of what is waiting from any instance, even after the owner
 * died.
 */
export class KafkaSubscription {
  private consumer?: Consumer;
  private isStopped = false;

  constructor(private readonly options: KafkaSubscriptionOptions) {}

  private get name(): string {
    return this.options.target.name;
  }

  /** Joins the group and starts delivering in the background. Throws when it cannot join. */
  async start(): Promise<void> {
    this.isStopped = false;
    // A shorter session than kafkajs's 30 s default: a killed instance's partitions move
    // to the others within seconds.
    const consumer = this.options.kafka.consumer({
      groupId: this.name,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.onCrash(payload));
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.applyBatch(payload),
    });
  }

  /** Leaves the group. Idempotent. */
  async stop(): Promise<void> {
    this.isStopped = true;
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  private async applyBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat } = payload;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (first === undefined || last === undefined) {
      return;
    }
    await this.recordProgress(batch.partition, Number(first.timestamp));
    await this.options.target.handle(this.decodeBatch(batch));
    await this.holdCommitForTest(batch);
    resolveOffset(batch.lastOffset());
    const next = BigInt(batch.lastOffset()) + 1n;
    await commitOffsetsIfNecessary({
      topics: [
        { topic: batch.topic, partitions: [{ partition: batch.partition, offset: `${next}` }] },
      ],
    });
    await heartbeat();
    // The relay publishes in log order, so the next message is about as old as the last
    // one applied or younger: its time stands in until the next batch says exactly.
    const isCaughtUp = next >= BigInt(batch.highWatermark);
    await this.recordProgress(batch.partition, isCaughtUp ? null : Number(last.timestamp));
  }

  /** Decodes the batch's messages, leaving out (and logging) those that are not events. */
  private decodeBatch(batch: Batch): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    for (const message of batch.messages) {
      try {
        events.push(decodeWireEvent(message.value ?? Buffer.alloc(0)));
      } catch (error) {
        this.options.logger?.error(
          {
            consumer: this.name,
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString('utf8'),
            eventId: message.headers?.['event-id']?.toString(),
            err: error,
          },
          'undecodable kafka message skipped',
        );
      }
    }
    return events;
  }

  private async holdCommitForTest(batch: Batch): Promise<void> {
    const pauseMs = this.options.pauseBeforeCommitMs ?? 0;
    if (pauseMs <= 0) {
      return;
    }
    this.options.logger?.info(
      {
        consumer: this.name,
        partition: batch.partition,
        firstOffset: batch.firstOffset(),
        lastOffset: batch.lastOffset(),
        pauseMs,
      },
      'offset commit held for a fault test',
    );
    await delay(pauseMs);
  }

  private onCrash({ error, restart }: { error: Error; restart: boolean }): void {
    this.options.logger?.error(
      { consumer: this.name, err: error, willRestart: restart },
      'kafka consumer crashed',
    );
    if (!restart) {
      this.restartLater();
    }
  }

  private restartLater(): void {
    if (this.isStopped) {
      return;
    }
    void delay(this.options.restartDelayMs ?? 5_000).then(() => this.restart());
  }

  private async restart(): Promise<void> {
    if (this.isStopped) {
      return;
    }
    // The crashed consumer disconnected itself; this only drops the reference.
    await this.consumer?.disconnect().catch(() => undefined);
    try {
      await this.start();
      this.options.logger?.info({ consumer: this.name }, 'kafka consumer restarted');
    } catch (error) {
      this.options.logger?.error(
        { consumer: this.name, err: error },
        'kafka consumer restart failed',
      );
      this.restartLater();
    }
  }

  /** Measures how many events of the topic the group has not committed yet, and their age. */
  async lag(): Promise<KafkaLag> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: this.name,
        topics: [this.options.topic],
      });
      const ends = await admin.fetchTopicOffsets(this.options.topic);
      const behind = new Map<number, number>();
      for (const end of ends) {
        const done = committed?.partitions.find(
          (partition) => partition.partition === end.partition,
        );
        const offset = done === undefined || done.offset === '-1' ? 0n : BigInt(done.offset);
        const count = Number(BigInt(end.high) - offset);
        if (count > 0) {
          behind.set(end.partition, count);
        }
      }
      const events = [...behind.values()].reduce((sum, count) => sum + count, 0);
      return { events, seconds: await this.ageOfOldestPending([...behind.keys()]) };
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The age in seconds of the oldest event waiting on `partitions`. A partition whose owner
   * had applied everything at its last batch has received messages since, published after
   * that batch: its time stands in for theirs until the owner's next batch, moments later
   * while the owner lives, says exactly.
   */
  private async ageOfOldestPending(partitions: readonly number[]): Promise<number | null> {
    if (partitions.length === 0) {
      return 0;
    }
    const rows = await this.options.database.query<{ oldest: Date }>(
      `SELECT COALESCE(pending_since, updated_at) AS oldest
       FROM consumer_partition_progress
       WHERE consumer = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      [this.name, this.options.topic, partitions],
    );
    if (rows.length === 0) {
      return null;
    }
    const oldest = Math.min(...rows.map((row) => row.oldest.getTime()));
    return Math.max(0, (Date.now() - oldest) / 1000);
  }

  private async recordProgress(partition: number, pendingSince: number | null): Promise<void> {
    await this.options.database.query(
      `INSERT INTO consumer_partition_progress (consumer, topic, partition, pending_since, updated_at)
       VALUES ($1, $2, $3, $4, clock_timestamp())
       ON CONFLICT (consumer, topic, partition)
       DO UPDATE SET pending_since = excluded.pending_since, updated_at = excluded.updated_at`,
      [
        this.name,
        this.options.topic,
        partition,
        pendingSince === null ? null : new Date(pendingSince),
      ],
    );
  }
}
