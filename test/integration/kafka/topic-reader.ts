import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';

/** A message as read back from a topic. */
export interface TopicMessage {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | undefined;
  readonly value: Buffer | null;
}

/**
 * Reads every message of `topic` from the beginning, in a consumer group of its own, until
 * `count` messages arrived; throws after `timeoutMs`. Returns them sorted by partition and
 * offset.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<TopicMessage[]> {
  const consumer = kafka.consumer({ groupId: `topic-reader-${randomBytes(4).toString('hex')}` });
  const messages: TopicMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8');
        messages.push({ partition, offset: BigInt(message.offset), key, value: message.value });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`read ${messages.length} of ${count} messages from ${topic} in time`);
      }
      await delay(100);
    }
  } finally {
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

/** Counts the messages `topic` holds, over all partitions. */
export async function countTopicMessages(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((total, { high, low }) => total + Number(high) - Number(low), 0);
  } finally {
    await admin.disconnect();
  }
}
