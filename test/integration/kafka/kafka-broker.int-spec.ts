import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type Message,
  type TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from '@tidemark/testing';
import { countTopicMessages } from './topic-reader';

const KEYS = Array.from({ length: 10 }, (_, index) => `repository-${index}`);
const PARTITIONS = 3;
const RECEIVE_TIMEOUT_MS = 20_000;

interface ReceivedMessage {
  readonly key: string;
  readonly value: string;
  readonly partition: number;
  readonly offset: string;
}

describe('Kafka test broker', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;

  before(async () => {
    broker = await startKafkaBroker();
    kafka = new Kafka({
      clientId: 'tidemark-kafka-broker-spec',
      brokers: broker.brokers.split(','),
      // kafkajs logs retried errors (e.g. the coordinator still loading) at ERROR; failures
      // that matter reach the test as rejected promises.
      logLevel: logLevel.NOTHING,
    });
  });

  after(async () => {
    await broker?.stop();
  });

  it(
    'delivers keyed messages to a consumer group in order per key',
    { timeout: 30_000 },
    async () => {
      const topic = uniqueName('keyed');
      await createTopic(kafka, topic);
      const sent = keyedMessages(0, 10);

      await produce(kafka, topic, sent);

      const received = await consume(kafka, { groupId: uniqueName('group'), topic, count: 100 });
      assert.equal(received.length, 100);
      assert.deepEqual(valuesByKey(received), valuesByKey(sent));
      assertOnePartitionPerKey(received);
    },
  );

  it(
    'keeps acknowledged messages and committed offsets when the broker is killed',
    { timeout: 45_000 },
    async (t) => {
      if (broker.isExternal) {
        t.skip('the external broker from TIDEMARK_TEST_KAFKA_BROKERS cannot be killed');
        return;
      }
      const topic = uniqueName('crash');
      const groupId = uniqueName('group');
      await createTopic(kafka, topic);
      const beforeCrash = keyedMessages(0, 5);
      const afterCrash = keyedMessages(5, 10);

      await produce(kafka, topic, beforeCrash);
      const firstHalf = await consume(kafka, { groupId, topic, count: 50 });

      await broker.kill();
      await broker.restart();

      await produce(kafka, topic, afterCrash);
      const secondHalf = await consume(kafka, { groupId, topic, count: 50 });

      assert.deepEqual(valuesByKey(firstHalf), valuesByKey(beforeCrash));
      // The group resumes from the offsets it committed before the crash, no earlier.
      assert.deepEqual(valuesByKey(secondHalf), valuesByKey(afterCrash));
      assert.equal(await countTopicMessages(kafka, topic), 100);
    },
  );
});

function uniqueName(prefix: string): string {
  return `tidemark.test.${prefix}.${randomUUID().slice(0, 8)}`;
}

// Each key gets values `<key>#<seq>` for seq in [from, to), interleaved across keys.
function keyedMessages(from: number, to: number): Array<{ key: string; value: string }> {
  const messages = [];
  for (let seq = from; seq < to; seq++) {
    messages.push(...KEYS.map((key) => ({ key, value: `${key}#${seq}` })));
  }
  return messages;
}

function valuesByKey(
  messages: ReadonlyArray<{ key: string; value: string }>,
): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const { key, value } of messages) {
    byKey.set(key, [...(byKey.get(key) ?? []), value]);
  }
  return byKey;
}

function assertOnePartitionPerKey(messages: readonly ReceivedMessage[]): void {
  const partitions = new Map<string, Set<number>>();
  for (const { key, partition } of messages) {
    partitions.set(key, (partitions.get(key) ?? new Set()).add(partition));
  }
  for (const [key, seen] of partitions) {
    assert.equal(seen.size, 1, `key ${key} landed on partitions ${[...seen].join(', ')}`);
  }
  const used = new Set(messages.map(({ partition }) => partition));
  assert.ok(used.size > 1, 'all keys landed on one partition, so ordering was not exercised');
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const isCreated = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    assert.ok(isCreated, `topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
}

// Sends ten messages per request, awaiting each acknowledgement (acks=all) before the next.
async function produce(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += KEYS.length) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(start, start + KEYS.length),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Joins `groupId`, reads from its committed offsets (or the beginning), and returns
 * once `count` messages arrived, after committing what it read.
 */
async function consume(
  kafka: Kafka,
  { groupId, topic, count }: { groupId: string; topic: string; count: number },
): Promise<ReceivedMessage[]> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await receive(consumer, count);
    await consumer.commitOffsets(nextOffsets(topic, received));
    return received;
  } finally {
    await consumer.disconnect();
  }
}

function receive(consumer: Consumer, count: number): Promise<ReceivedMessage[]> {
  return new Promise((resolve, reject) => {
    const received: ReceivedMessage[] = [];
    const timer = setTimeout(
      () => reject(new Error(`received ${received.length} of ${count} messages in time`)),
      RECEIVE_TIMEOUT_MS,
    );
    const run = consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        received.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          partition,
          offset: message.offset,
        });
        if (received.length === count) {
          clearTimeout(timer);
          resolve(received);
        }
        return Promise.resolve();
      },
    });
    run.catch(reject);
  });
}

function nextOffsets(
  topic: string,
  received: readonly ReceivedMessage[],
): TopicPartitionOffsetAndMetadata[] {
  const next = new Map<number, bigint>();
  for (const { partition, offset } of received) {
    next.set(partition, BigInt(offset) + 1n);
  }
  return [...next].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }));
}
