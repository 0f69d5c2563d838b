#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { loadConfig } from '@tidemark/config';
import { migrate } from '@tidemark/db';
import { createLogger } from '@tidemark/observability';
import { openDatabase, startRegistryServer } from './server/registry-server';
import { rebuildState } from './rebuild-state';
import { replayConsumer } from '@tidemark/eventstore';
import { createProjections } from '../../metadata/src/projections/create-projections';

const program = new Command()
  .name('tidemark')
  .description('An OCI registry whose every push, tag move and delete is an event in Postgres');

program
  .command('serve')
  .description('serve the registry (both apps unless --apps says otherwise)')
  .option('--host <host>', 'address to listen on (TIDEMARK_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (TIDEMARK_PORT, default 5000)')
  .option(
    '--data-dir <dir>',
    'storage and embedded Postgres directory (TIDEMARK_DATA_DIR, default ./data)',
  )
  .option('--apps <apps>', 'all | metadata | blob-ingest (TIDEMARK_APPS, default all)')
  .option(
    '--database-url <url>',
    'external Postgres instead of the embedded one (TIDEMARK_DATABASE_URL)',
  )
  .action(async (options: Record<string, string>) => {
    const server = await startRegistryServer(loadConfig(process.env, options));
    const stop = (): void => {
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('rebuild-state')
  .description('drop the state tables and rebuild them by replaying the event log')
  .option('--data-dir <dir>', 'data directory of the embedded Postgres (TIDEMARK_DATA_DIR)')
  .option('--database-url <url>', 'external Postgres (TIDEMARK_DATABASE_URL)')
  .action(async (options: Record<string, string>) => {
    const config = loadConfig(process.env, options);
    const logger = createLogger(config.logLevel, 'tidemark-cli');
    const { database, embedded } = await openDatabase(config, logger);
    try {
      await migrate(database);
      const count = await rebuildState(database);
      logger.info({ events: count }, 'state rebuilt');
    } finally {
      await database.close();
      await embedded?.stop();
    }
  });

program
  .command('replay <consumer>')
  .description('rebuild an asynchronous projection from position 0; the registry may keep serving')
  .option('--data-dir <dir>', 'data directory of the embedded Postgres (TIDEMARK_DATA_DIR)')
  .option('--database-url <url>', 'external Postgres (TIDEMARK_DATABASE_URL)')
  .action(async (name: string, options: Record<string, string>) => {
    const config = loadConfig(process.env, options);
    const logger = createLogger(config.logLevel, 'tidemark-cli');
    const { database, embedded } = await openDatabase(config, logger);
    try {
      await migrate(database);
      const consumer = createProjections(database).find((candidate) => candidate.name === name);
      if (consumer === undefined) {
        const names = createProjections(database).map((candidate) => candidate.name);
        throw new Error(`no consumer named ${name}; known: ${names.join(', ')}`);
      }
      await replayConsumer(database, consumer);
      logger.info({ consumer: name }, 'consumer replayed');
    } finally {
      await database.close();
      await embedded?.stop();
    }
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`tidemark: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
