import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Database, migrate } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import {
  createKafka,
  decodeWireEvent,
  ensureTopic,
  EventStore,
  KafkaRelay,
  KafkaSubscription,
  PostgresLogSubscription,
  type EventConsumer,
  type KafkaSettings,
  type RecordedEvent,
} from '@tidemark/eventstore';
import {
  captureLogs,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
} from '@tidemark/testing';
import type { Kafka } from 'kafkajs';
import { readTopic } from './topic-reader';

/** Remembers the events it was handed, in order. */
class RecordingConsumer implements EventConsumer {
  readonly name = `delivery-test-${randomBytes(4).toString('hex')}`;
  readonly received: RecordedEvent[] = [];

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    this.received.push(...events);
  }

  async reset(): Promise<void> {}
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await delay(100);
  }
}

describe('Kafka delivery', () => {
  let broker: KafkaBroker;
  let database: Database;
  let store: EventStore;

  before(async () => {
    broker = await startKafkaBroker();
    database = Database.connect(await createTestDatabase(), 8);
    await migrate(database);
    store = new EventStore(database);
  });

  after(async () => {
    await database?.close();
    await broker?.stop();
  });

  async function newTopic(partitions: number): Promise<{ kafka: Kafka; topic: string }> {
    const settings: KafkaSettings = {
      brokers: broker.brokers.split(','),
      clientId: 'tidemark-delivery-test',
      topic: `tidemark.delivery.${randomBytes(4).toString('hex')}`,
      partitions,
      replicationFactor: 1,
      connectTimeoutMs: 10_000,
    };
    const kafka = createKafka(settings);
    await ensureTopic(kafka, settings);
    return { kafka, topic: settings.topic };
  }

  /** Appends `count` BlobPushed events to `repository`'s stream, one transaction each. */
  async function appendEvents(repository: string, count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const digest = `sha256:${randomBytes(32).toString('hex')}`;
      const metadata = { actor: 'test', requestId: `r${index}`, time: new Date().toISOString() };
      await database.transaction((tx) =>
        store.append(
          tx,
          `repository:${repository}`,
          'any',
          [registryEvent('BlobPushed', { repository, digest, size: index })],
          metadata,
        ),
      );
    }
  }

  describe(KafkaRelay.name, () => {
    it("puts each repository's events on one partition, in stream-version order", async () => {
      const { kafka, topic } = await newTopic(3);
      const repositories = Array.from({ length: 12 }, (_, index) => `keyed/r${index}`);
      // Writers to different repositories interleave their commits.
      await Promise.all(repositories.map((repository) => appendEvents(repository, 8)));
      const relay = new KafkaRelay(kafka, topic);
      const relayed = await database.query<{ count: string }>(
        "SELECT count(*) FROM events WHERE stream LIKE 'repository:keyed/%'",
      );
      try {
        await new PostgresLogSubscription(database, relay).drain();
      } finally {
        await relay.close();
      }

      const messages = await readTopic(kafka, topic, Number(relayed[0]!.count));

      const byStream = new Map<string, { partitions: Set<number>; versions: number[] }>();
      for (const message of messages) {
        const event = decodeWireEvent(message.value!);
        assert.equal(message.key, event.stream);
        const seen = byStream.get(event.stream) ?? { partitions: new Set(), versions: [] };
        seen.partitions.add(message.partition);
        seen.versions.push(event.streamVersion);
        byStream.set(event.stream, seen);
      }
      assert.equal(byStream.size, repositories.length);
      for (const [stream, { partitions, versions }] of byStream) {
        assert.equal(partitions.size, 1, `${stream} is on partitions ${[...partitions]}`);
        assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8], `${stream} out of order`);
      }
      const used = new Set(messages.map((message) => message.partition));
      assert.ok(used.size > 1, 'every stream landed on one partition: ordering was not exercised');
    });
  });

  describe(KafkaSubscription.name, () => {
    it('logs an undecodable message with its partition and offset, skips it, and goes on', async () => {
      const { kafka, topic } = await newTopic(2);
      const repository = `poison/${randomBytes(4).toString('hex')}`;
      await appendEvents(repository, 6);
      const events = await store.readStream(`repository:${repository}`);
      const relay = new KafkaRelay(kafka, topic);
      const producer = kafka.producer();
      const consumer = new RecordingConsumer();
      const logs = captureLogs();
      const sut = new KafkaSubscription({
        kafka,
        topic,
        target: consumer,
        database,
        logger: logs.logger,
      });
      try {
        await relay.handle(events.slice(0, 3));
        await producer.connect();
        const [poisoned] = await producer.send({
          topic,
          acks: -1,
          messages: [
            { key: `repository:${repository}`, value: 'not an event' },
            { key: `repository:${repository}`, value: JSON.stringify({ type: 'Unheard' }) },
          ],
        });
        await relay.handle(events.slice(3));

        await sut.start();
        await until(() => consumer.received.length >= 6, 'the events after the poison arrive');

        assert.deepEqual(
          consumer.received.map((event) => event.eventId),
          events.map((event) => event.eventId),
        );
        const skipped = logs.withMessage('undecodable kafka message skipped');
        const firstOffset = BigInt(poisoned!.baseOffset!);
        assert.deepEqual(
          skipped.map((line) => [line.level, line.topic, line.partition, line.offset]),
          [
            [50, topic, poisoned!.partition, `${firstOffset}`],
            [50, topic, poisoned!.partition, `${firstOffset + 1n}`],
          ],
        );
        await until(
          async () => (await sut.lag()).events === 0,
          'the group commits past the poison',
        );
      } finally {
        await sut.stop();
        await producer.disconnect();
        await relay.close();
      }
    });
  });
});
