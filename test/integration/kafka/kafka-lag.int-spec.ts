import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Database, migrate } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import {
  createKafka,
  ensureTopic,
  KafkaRelay,
  KafkaSubscription,
  type EventConsumer,
  type RecordedEvent,
} from '@tidemark/eventstore';
import { createTestDatabase, startKafkaBroker, type KafkaBroker } from '@tidemark/testing';

const AGE_MS = 30_000;

/** Events that happened `AGE_MS` ago, on `streams` distinct streams. */
function oldEvents(count: number, streams: number): RecordedEvent[] {
  const time = new Date(Date.now() - AGE_MS).toISOString();
  return Array.from({ length: count }, (_, index) => {
    const repository = `team/lag${index % streams}`;
    const digest = `sha256:${index.toString(16).padStart(64, '0')}`;
    return {
      ...registryEvent('BlobPushed', { repository, digest, size: index }),
      position: BigInt(index + 1),
      eventId: randomUUID(),
      stream: `repository:${repository}`,
      streamVersion: Math.floor(index / streams) + 1,
      schemaVersion: 1,
      metadata: { actor: 'lag-test', requestId: `r${index}`, time },
    };
  });
}

/** A consumer that holds its first batch until `release` is called. */
class HeldConsumer implements EventConsumer {
  readonly name = `lag-test-${randomBytes(4).toString('hex')}`;
  applied = 0;
  private gate!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.gate = resolve));
  batchStarted = false;

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    this.batchStarted = true;
    await this.opened;
    this.applied += events.length;
  }

  async reset(): Promise<void> {}

  release(): void {
    this.gate();
  }
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Kafka consumer lag', () => {
  let broker: KafkaBroker;
  let database: Database;

  before(async () => {
    broker = await startKafkaBroker();
    database = Database.connect(await createTestDatabase(), 4);
    await migrate(database);
  });

  after(async () => {
    await database?.close();
    await broker?.stop();
  });

  it('reports the age of the oldest unapplied event in seconds, and 0 once caught up', async () => {
    const settings = {
      brokers: broker.brokers.split(','),
      clientId: 'tidemark-lag-test',
      topic: `tidemark.lag.${randomBytes(4).toString('hex')}`,
      partitions: 2,
      replicationFactor: 1,
      connectTimeoutMs: 10_000,
    };
    const kafka = createKafka(settings);
    await ensureTopic(kafka, settings);
    const relay = new KafkaRelay(kafka, settings.topic);
    const consumer = new HeldConsumer();
    const subscription = new KafkaSubscription({
      kafka,
      topic: settings.topic,
      target: consumer,
      database,
    });
    try {
      await relay.handle(oldEvents(20, 4));

      // Nobody has read the topic yet: the count is known, the age is not.
      const unread = await subscription.lag();
      assert.equal(unread.events, 20);
      assert.equal(unread.seconds, null);

      await subscription.start();
      await until(() => consumer.batchStarted, 'a batch reaches the consumer');
      const held = await subscription.lag();
      assert.equal(held.events, 20);
      assert.ok(
        held.seconds !== null && held.seconds >= AGE_MS / 1000,
        `lag ${held.seconds} s, events are ${AGE_MS / 1000} s old`,
      );

      consumer.release();
      await until(async () => (await subscription.lag()).events === 0, 'the group catches up');
      assert.equal(consumer.applied >= 20, true);
      assert.deepEqual(await subscription.lag(), { events: 0, seconds: 0 });
    } finally {
      consumer.release();
      await subscription.stop();
      await relay.close();
    }
  });
});
