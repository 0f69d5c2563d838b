import 'reflect-metadata';
import { ConfigSchema, type TidemarkConfig } from '@tidemark/config';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  startRegistryServer,
  type RegistryServer,
} from '../../apps/cli/src/server/registry-server';
import { createTestDatabase } from './test-database';

/** A registry started for one suite, on its own database and storage directory. */
export interface TestRegistry extends RegistryServer {
  /** `127.0.0.1:<port>`, the form image references use. */
  readonly host: string;
  readonly dataDir: string;
  readonly config: TidemarkConfig;
}

/**
 * Starts a standalone registry on a free port with a fresh database in the shared test
 * Postgres and a temporary storage directory; `close` removes both from use.
 */
export async function startTestRegistry(
  overrides: Partial<TidemarkConfig> = {},
): Promise<TestRegistry> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tidemark-test-'));
  const config = ConfigSchema.parse({
    port: 0,
    dataDir,
    database: { url: await createTestDatabase(), poolSize: 10 },
    storage: {},
    limits: {},
    logLevel: process.env.TIDEMARK_TEST_LOG_LEVEL ?? 'error',
    ...overrides,
  });
  const logger = pino({ level: config.logLevel });
  const server = await startRegistryServer(config, logger);
  return {
    ...server,
    host: new URL(server.url).host,
    dataDir,
    config,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
