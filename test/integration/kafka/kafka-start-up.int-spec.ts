import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, freePort } from '@tidemark/testing';

const CLI = resolve(__dirname, '../../../apps/cli/src/main.js');
const CONNECT_TIMEOUT_MS = 2000;
/** Node's start, migrations and the connect timeout, with room for a loaded machine. */
const EXIT_WITHIN_MS = CONNECT_TIMEOUT_MS + 13_000;

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Runs `tidemark serve` against `brokers`; kills it if it has not exited in EXIT_WITHIN_MS. */
async function serveWithBrokers(brokers: string, databaseUrl: string, dataDir: string) {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('TIDEMARK_'));
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...Object.fromEntries(inherited),
      TIDEMARK_PORT: String(await freePort()),
      TIDEMARK_DATA_DIR: dataDir,
      TIDEMARK_DATABASE_URL: databaseUrl,
      TIDEMARK_KAFKA_BROKERS: brokers,
      TIDEMARK_KAFKA_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      TIDEMARK_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const hang = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(hang);
  return { code, stderr, elapsedMs: Date.now() - started } satisfies Exit;
}

/** A TCP server that accepts connections and never answers: a broker that hangs. */
async function startSilentServer(): Promise<{ address: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const close = (): void => {
    sockets.forEach((socket) => socket.destroy());
    server.close();
  };
  return { address: `127.0.0.1:${port}`, close };
}

describe('tidemark serve with Kafka brokers', () => {
  let databaseUrl: string;
  let dataDir: string;
  let silent: { address: string; close(): void };

  before(async () => {
    databaseUrl = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'tidemark-kafka-start-up-'));
    silent = await startSilentServer();
  });

  after(async () => {
    silent?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits non-zero within seconds, naming the address, when nothing listens there', async () => {
    const address = `127.0.0.1:${await freePort()}`;

    const exit = await serveWithBrokers(address, databaseUrl, dataDir);

    assert.ok(exit.elapsedMs < EXIT_WITHIN_MS, `still running after ${exit.elapsedMs} ms`);
    assert.equal(exit.code, 1);
    assert.match(exit.stderr, new RegExp(`cannot reach Kafka at ${address}`));
  });

  it('exits non-zero within seconds, naming the address, when the broker never answers', async () => {
    const exit = await serveWithBrokers(silent.address, databaseUrl, dataDir);

    assert.ok(exit.elapsedMs < EXIT_WITHIN_MS, `still running after ${exit.elapsedMs} ms`);
    assert.equal(exit.code, 1);
    assert.match(exit.stderr, new RegExp(`cannot reach Kafka at ${silent.address}`));
  });
});
