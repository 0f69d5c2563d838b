import type { Consumer, Kafka } from 'kafkajs';
import type { EventConsumer } from '../consumers/event-consumer';
import { decodeWireEvent } from './event-codec';

/**
 * Feeds a consumer from the Kafka topic, in a consumer group named after it, so instances
 * running the same consumer share the partitions. Offsets are committed only after a
 * batch was handled, so a consumer killed mid-batch gets the batch again.
 */
export class KafkaSubscription {
  private consumer?: Consumer;
  private caughtUpAt?: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly target: EventConsumer,
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
        const events = batch.messages.map((message) => decodeWireEvent(message.value!));
        await this.target.handle(events);
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [
                {
                  partition: batch.partition,
                  offset: (BigInt(batch.lastOffset()) + 1n).toString(),
                },
              ],
            },
          ],
        });
        await heartbeat();
        this.caughtUpAt =
          BigInt(batch.lastOffset()) + 1n >= BigInt(batch.highWatermark) ? Date.now() : undefined;
      },
    });
    this.consumer = consumer;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  /** Measures how many events of the topic the group has not committed yet. */
  async lag(): Promise<{ events: number; isCaughtUp: boolean }> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: this.target.name,
        topics: [this.topic],
      });
      const ends = await admin.fetchTopicOffsets(this.topic);
      const events = ends.reduce((sum, end) => {
        const done = committed?.partitions.find(
          (partition) => partition.partition === end.partition,
        );
        const offset = done === undefined || done.offset === '-1' ? 0n : BigInt(done.offset);
        return sum + Number(BigInt(end.high) - offset);
      }, 0);
      return { events, isCaughtUp: events === 0 || this.caughtUpAt !== undefined };
    } finally {
      await admin.disconnect();
    }
  }
}
