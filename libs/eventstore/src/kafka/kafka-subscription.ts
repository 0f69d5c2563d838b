import type { Database } from '@tidemark/db';
import type { Consumer, Kafka } from 'kafkajs';
import type { EventConsumer } from '../consumers/event-consumer';
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

/**
 * Feeds a consumer from the Kafka topic, in a consumer group named after it, so instances
 * running the same consumer share the partitions. Offsets are committed only after a
 * batch was handled, so a consumer killed mid-batch gets the batch again.
 *
 * Around each batch it writes down in Postgres, per partition, when the oldest event it
 * has not applied was recorded (the relay stamps each message with its event's time), so
 * that `lag` can tell the age of what is waiting from any instance, even after the owner
 * died.
 */
export class KafkaSubscription {
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly target: EventConsumer,
    private readonly database: Database,
  ) {}

  async start(): Promise<void> {
    // A shorter session than kafkajs's 30 s default: a killed instance's partitions move
    // to the others within seconds.
    const consumer = this.kafka.consumer({
      groupId: this.target.name,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
        const first = batch.messages[0];
        const last = batch.messages[batch.messages.length - 1];
        if (first === undefined || last === undefined) {
          return;
        }
        await this.recordProgress(batch.partition, Number(first.timestamp));
        const events = batch.messages.map((message) => decodeWireEvent(message.value!));
        await this.target.handle(events);
        resolveOffset(batch.lastOffset());
        const next = BigInt(batch.lastOffset()) + 1n;
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: next.toString() }],
            },
          ],
        });
        await heartbeat();
        // The relay publishes in log order, so the next message is about as old as the last
        // one applied or younger: its time stands in until the next batch says exactly.
        const isCaughtUp = next >= BigInt(batch.highWatermark);
        await this.recordProgress(batch.partition, isCaughtUp ? null : Number(last.timestamp));
      },
    });
    this.consumer = consumer;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  /** Measures how many events of the topic the group has not committed yet, and their age. */
  async lag(): Promise<KafkaLag> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: this.target.name,
        topics: [this.topic],
      });
      const ends = await admin.fetchTopicOffsets(this.topic);
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
    const rows = await this.database.query<{ oldest: Date }>(
      `SELECT COALESCE(pending_since, updated_at) AS oldest
       FROM consumer_partition_progress
       WHERE consumer = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      [this.target.name, this.topic, partitions],
    );
    if (rows.length === 0) {
      return null;
    }
    const oldest = Math.min(...rows.map((row) => row.oldest.getTime()));
    return Math.max(0, (Date.now() - oldest) / 1000);
  }

  private async recordProgress(partition: number, pendingSince: number | null): Promise<void> {
    await this.database.query(
      `INSERT INTO consumer_partition_progress (consumer, topic, partition, pending_since, updated_at)
       VALUES ($1, $2, $3, $4, clock_timestamp())
       ON CONFLICT (consumer, topic, partition)
       DO UPDATE SET pending_since = excluded.pending_since, updated_at = excluded.updated_at`,
      [
        this.target.name,
        this.topic,
        partition,
        pendingSince === null ? null : new Date(pendingSince),
      ],
    );
  }
}
