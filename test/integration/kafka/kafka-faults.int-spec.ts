import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Database } from '@tidemark/db';
import { createKafka, decodeWireEvent, type KafkaSettings } from '@tidemark/eventstore';
import {
  createTestDatabase,
  freePort,
  OciClient,
  startKafkaBroker,
  type KafkaBroker,
  BackgroundPusher,
  projectionsAgainstLog,
  waitUntilCaughtUp,
} from '@tidemark/testing';
import type { Kafka } from 'kafkajs';
import { RegistryProcess } from '../../support/registry-process';
import { readLogLines, waitForLogLine } from './log-lines';
import { countTopicMessages, readTopic } from './topic-reader';

/** How long each instance holds a handled batch before recording it: the window to kill in. */
const HOLD_MS = 1500;

interface Instance {
  readonly name: string;
  readonly process: RegistryProcess;
  readonly url: string;
  readonly logFile: string;
}

// Registry processes share one Postgres and one broker. Each runs the relay (one at a time
// holds its lock) and a member of every projection's consumer group. A test-only pause
// between handling a batch and recording it (the relay's checkpoint, a consumer's offsets)
// lets the test kill a process exactly there, while pushes keep running on the others.
describe('Kafka transport under process kills', () => {
  let broker: KafkaBroker;
  let databaseUrl: string;
  let database: Database;
  let kafka: Kafka;
  let workDir: string;
  const instances: Instance[] = [];
  const topic = `tidemark.events.${randomBytes(4).toString('hex')}`;

  before(async () => {
    broker = await startKafkaBroker();
    databaseUrl = await createTestDatabase();
    database = Database.connect(databaseUrl, 4);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-kafka-faults-'));
    const settings: KafkaSettings = {
      brokers: broker.brokers.split(','),
      clientId: 'tidemark-faults-test',
      topic,
      partitions: 3,
      replicationFactor: 1,
      connectTimeoutMs: 10_000,
    };
    kafka = createKafka(settings);
  });

  after(async () => {
    await Promise.all(instances.map((instance) => instance.process.stop()));
    await database?.close();
    await broker?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  async function startInstance(name: string): Promise<Instance> {
    const logFile = join(workDir, `${name}.log`);
    const registry = await RegistryProcess.start({
      port: await freePort(),
      postgresPort: await freePort(),
      dataDir: join(workDir, name),
      logFile,
      env: {
        TIDEMARK_DATABASE_URL: databaseUrl,
        TIDEMARK_KAFKA_BROKERS: broker.brokers,
        TIDEMARK_KAFKA_TOPIC: topic,
        TIDEMARK_KAFKA_PARTITIONS: '3',
        TIDEMARK_LOG_LEVEL: 'info',
        TIDEMARK_TEST_PAUSE_BEFORE_CHECKPOINT_MS: String(HOLD_MS),
        TIDEMARK_TEST_PAUSE_BEFORE_COMMIT_MS: String(HOLD_MS),
      },
    });
    const instance = { name, process: registry, url: registry.url, logFile };
    instances.push(instance);
    return instance;
  }

  /** Waits until a live instance logs `message` (matching `fields`), then kills it at once. */
  async function killWhenHeld(
    live: readonly Instance[],
    pusher: BackgroundPusher,
    message: string,
    fields: Record<string, unknown> = {},
  ): Promise<{ victim: Instance; line: Record<string, unknown> }> {
    const { file, line } = await waitForLogLine(
      live.map((instance) => instance.logFile),
      message,
      { sinceMs: Date.now(), fields },
    );
    const victim = live.find((instance) => instance.logFile === file)!;
    pusher.retire(victim);
    await victim.process.kill();
    return { victim, line };
  }

  /** The offset the group has committed on a partition; -1 when none. */
  async function committedOffset(group: string, partition: number): Promise<bigint> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const found = offsets?.partitions.find((entry) => entry.partition === partition);
      return BigInt(found?.offset ?? '-1');
    } finally {
      await admin.disconnect();
    }
  }

  it('applies every event exactly once after the relay and a consumer are killed mid-batch', async () => {
    const first = await startInstance('a');
    const second = await startInstance('b');
    const pusher = new BackgroundPusher(['team/one', 'team/two', 'team/three']);
    pusher.start([first, second]);

    // The relay published a batch and waits to move its checkpoint: killed there, its
    // successor publishes the batch again.
    const relayKill = await killWhenHeld(
      [first, second],
      pusher,
      'checkpoint held for a fault test',
      { consumer: 'kafka-relay' },
    );
    const survivor = relayKill.victim === first ? second : first;
    const third = await startInstance('c');
    pusher.add(third);

    // A consumer applied a batch and waits to commit its offsets: killed there, another
    // member of its group receives the batch again.
    const consumerKill = await killWhenHeld(
      [survivor, third],
      pusher,
      'offset commit held for a fault test',
    );
    const held = consumerKill.line as { consumer: string; partition: number; lastOffset: string };
    const committed = await committedOffset(held.consumer, held.partition);
    assert.ok(
      committed <= BigInt(held.lastOffset),
      `offsets up to ${held.lastOffset} were applied but the commit stands at ${committed}`,
    );
    const remaining = [survivor, third].find((instance) => instance !== consumerKill.victim)!;
    const fourth = await startInstance('d');
    pusher.add(fourth);

    await delay(3000);
    await pusher.stop();
    await waitUntilCaughtUp(new OciClient(remaining.url), 180_000);

    // The relay's lock moved to an instance that was not killed before it, and the batch
    // in hand at the kill reached the topic twice.
    const takeovers = await Promise.all(
      instances
        .filter((instance) => instance !== relayKill.victim)
        .map(async (instance) => readLogLines(instance.logFile)),
    );
    assert.ok(
      takeovers
        .flat()
        .some(
          (line) => line.msg === 'consumer leadership taken' && line.consumer === 'kafka-relay',
        ),
      'another instance took the relay lock',
    );
    const [events] = await database.query<{ count: string }>('SELECT count(*) FROM events');
    const messages = await readTopic(kafka, topic, await countTopicMessages(kafka, topic));
    const ids = new Set(messages.map((message) => decodeWireEvent(message.value!).eventId));
    assert.equal(ids.size, Number(events!.count), 'every event reached the topic');
    assert.ok(messages.length > ids.size, 'the killed relay batch was published again');
    assert.ok(pusher.pushed > 20, `only ${pusher.pushed} pushes ran during the kills`);

    const { expected, actual } = await projectionsAgainstLog(database);
    assert.deepEqual(actual, expected);
  });
});
