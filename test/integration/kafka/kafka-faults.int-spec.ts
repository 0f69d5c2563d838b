import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database } from '@tidemark/db';
import { replayConsumer } from '@tidemark/eventstore';
import {
  createTestDatabase,
  freePort,
  OciClient,
  startKafkaBroker,
  type KafkaBroker,
} from '@tidemark/testing';
import { createProjections } from '../../../apps/metadata/src/projections/create-projections';
import { RegistryProcess } from '../../support/registry-process';
import { projectionSnapshot, waitUntilCaughtUp } from './projection-checks';

// Two registry processes share one Postgres and one broker. Each runs the relay (one at a
// time holds the lock) and a member of every projection's consumer group. Killing them in
// turn while images are pushed kills the relay and consumers mid-batch.
describe('Kafka transport under process kills', () => {
  let broker: KafkaBroker;
  let databaseUrl: string;
  let database: Database;
  let workDir: string;
  const processes: RegistryProcess[] = [];

  before(async () => {
    broker = await startKafkaBroker();
    databaseUrl = await createTestDatabase();
    database = Database.connect(databaseUrl, 4);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-kafka-faults-'));
  });

  after(async () => {
    await Promise.all(processes.map((registry) => registry.stop()));
    await database?.close();
    await broker?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  const topic = `tidemark.events.${randomBytes(4).toString('hex')}`;

  async function startInstance(name: string): Promise<RegistryProcess> {
    const registry = await RegistryProcess.start({
      port: await freePort(),
      postgresPort: await freePort(),
      dataDir: join(workDir, name),
      logFile: join(workDir, `${name}.log`),
      env: {
        TIDEMARK_DATABASE_URL: databaseUrl,
        TIDEMARK_KAFKA_BROKERS: broker.brokers,
        TIDEMARK_KAFKA_TOPIC: topic,
        TIDEMARK_KAFKA_PARTITIONS: '3',
      },
    });
    processes.push(registry);
    return registry;
  }

  it('applies every event exactly once after relay and consumer processes are killed mid-stream', async () => {
    const first = await startInstance('a');
    let second = await startInstance('b');

    await pushImages(new OciClient(first.url), 'team/one', 12);
    await second.kill();
    await pushImages(new OciClient(first.url), 'team/two', 12);
    second = await startInstance('b2');
    await first.kill();
    await pushImages(new OciClient(second.url), 'team/three', 12);

    await waitUntilCaughtUp(new OciClient(second.url), 120_000);
    const [moves] = await database.query<{ count: string }>(
      "SELECT count(*) FROM events WHERE type IN ('TagMoved', 'TagDeleted')",
    );
    const [history] = await database.query<{ count: string }>(
      'SELECT count(*) FROM projection_tag_history',
    );
    assert.equal(history!.count, moves!.count);
    const overKafka = await projectionSnapshot(database);
    for (const consumer of createProjections(database)) {
      await replayConsumer(database, consumer);
    }
    assert.deepEqual(await projectionSnapshot(database), overKafka);
  });
});

async function pushImages(client: OciClient, repository: string, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      client.pushImage(repository, `t${index % 4}`, `${repository} layer ${index}`),
    ),
  );
}
