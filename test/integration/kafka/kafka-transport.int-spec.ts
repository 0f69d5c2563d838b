import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigSchema } from '@tidemark/config';
import { replayConsumer } from '@tidemark/eventstore';
import {
  OciClient,
  startKafkaBroker,
  startTestRegistry,
  type KafkaBroker,
  type TestRegistry,
  projectionsAgainstLog,
  projectionSnapshot,
  waitUntilCaughtUp,
} from '@tidemark/testing';
import { createProjections } from '../../../apps/metadata/src/projections/create-projections';

describe('projections fed through Kafka', () => {
  let broker: KafkaBroker;
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    broker = await startKafkaBroker();
    const kafka = ConfigSchema.shape.kafka.parse({
      brokers: broker.brokers.split(','),
      topic: `tidemark.events.${randomBytes(4).toString('hex')}`,
      partitions: 3,
    });
    registry = await startTestRegistry({ kafka });
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry?.close();
    await broker?.stop();
  });

  it('builds the same projections as the Postgres log transport', async () => {
    for (let index = 0; index < 6; index++) {
      await client.pushImage(`team/app${index % 2}`, `v${index % 3}`, `layer ${index}`);
    }
    assert.equal((await client.request('DELETE', '/v2/team/app0/manifests/v0')).status, 202);

    await waitUntilCaughtUp(client);
    const overKafka = await projectionSnapshot(registry.database);
    for (const consumer of createProjections(registry.database)) {
      await replayConsumer(registry.database, consumer);
    }
    assert.deepEqual(await projectionSnapshot(registry.database), overKafka);
  });

  it('loses and duplicates nothing when the broker dies mid-stream and comes back', async () => {
    const pushes = (async () => {
      for (let index = 0; index < 24; index++) {
        await client.pushImage('team/fault', `t${index % 5}`, `fault layer ${index}`);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await broker.restart();
    await pushes;

    await waitUntilCaughtUp(client, 120_000);
    const { expected, actual } = await projectionsAgainstLog(registry.database);
    assert.deepEqual(actual, expected);
    const overKafka = await projectionSnapshot(registry.database);
    for (const consumer of createProjections(registry.database)) {
      await replayConsumer(registry.database, consumer);
    }
    assert.deepEqual(await projectionSnapshot(registry.database), overKafka);
  });
});
