import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Database } from '@tidemark/db';
import { replayConsumer } from '@tidemark/eventstore';
import {
  BackgroundPusher,
  createTestDatabase,
  freePort,
  OciClient,
  projectionsAgainstLog,
  projectionSnapshot,
  startKafkaBroker,
  waitUntilCaughtUp,
  type KafkaBroker,
} from '@tidemark/testing';
import { appendTagMoves } from '../../../bench/tag-move-flood';
import { createProjections } from '../../../apps/metadata/src/projections/create-projections';
import { RegistryProcess } from '../../support/registry-process';

const CLI = resolve(__dirname, '../../../apps/cli/src/main.js');
/** Events already in the log when the replay starts, so that rebuilding takes a while. */
const HISTORY = {
  events: 6000,
  repositories: 12,
  tagsPerRepository: 4,
  batchSize: 100,
  writers: 2,
};

/** Runs `tidemark replay <consumer>` from the build output and waits for it to exit. */
async function runReplay(consumer: string, databaseUrl: string) {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('TIDEMARK_'));
  const child = spawn(process.execPath, [CLI, 'replay', consumer], {
    env: { ...Object.fromEntries(inherited), TIDEMARK_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

function describeReplayUnderLoad(transport: 'postgres' | 'kafka'): void {
  describe(`tidemark replay while the registry serves pushes (${transport} transport)`, () => {
    let broker: KafkaBroker | undefined;
    let databaseUrl: string;
    let database: Database;
    let workDir: string;
    let registry: RegistryProcess;

    before(async () => {
      databaseUrl = await createTestDatabase();
      database = Database.connect(databaseUrl, 4);
      workDir = await mkdtemp(join(tmpdir(), 'tidemark-replay-'));
      broker = transport === 'kafka' ? await startKafkaBroker() : undefined;
      const kafka = broker && {
        TIDEMARK_KAFKA_BROKERS: broker.brokers,
        TIDEMARK_KAFKA_TOPIC: `tidemark.replay.${randomBytes(4).toString('hex')}`,
        TIDEMARK_KAFKA_PARTITIONS: '3',
      };
      registry = await RegistryProcess.start({
        port: await freePort(),
        postgresPort: await freePort(),
        dataDir: join(workDir, 'registry'),
        logFile: join(workDir, 'registry.log'),
        env: { TIDEMARK_DATABASE_URL: databaseUrl, ...kafka },
      });
    });

    after(async () => {
      await registry?.stop();
      await database?.close();
      await broker?.stop();
      await rm(workDir, { recursive: true, force: true });
    });

    it('rebuilds tag-history to what a fresh rebuild gives, with every event in it', async () => {
      await appendTagMoves(database, HISTORY, 'history');
      const pusher = new BackgroundPusher(['team/a', 'team/b', 'team/c']);
      pusher.start([registry]);
      await delay(1000);

      const pushedBefore = pusher.pushed;
      const replay = await runReplay('tag-history', databaseUrl);
      const pushedDuring = pusher.pushed - pushedBefore;
      await delay(1000);
      await pusher.stop();

      assert.equal(replay.code, 0, replay.stderr);
      assert.ok(pushedDuring > 0, 'no push completed while the replay ran');
      await waitUntilCaughtUp(new OciClient(registry.url), 120_000);
      const { expected, actual } = await projectionsAgainstLog(database);
      assert.deepEqual(actual, expected);
      const served = await projectionSnapshot(database);
      for (const consumer of createProjections(database)) {
        await replayConsumer(database, consumer);
      }
      assert.deepEqual(await projectionSnapshot(database), served);
    });
  });
}

describeReplayUnderLoad('postgres');
describeReplayUnderLoad('kafka');
