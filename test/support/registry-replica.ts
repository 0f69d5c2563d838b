import pino from 'pino';
import {
  startRegistryServer,
  type RegistryServer,
} from '../../apps/cli/src/server/registry-server';
import type { TestRegistry } from './test-registry';

/**
 * Starts a second registry process-equivalent on the same database and storage as
 * `registry`, on its own port: a cold instance, with nothing in memory from earlier
 * requests, as after a restart. Close it before closing `registry`.
 */
export async function startRegistryReplica(registry: TestRegistry): Promise<RegistryServer> {
  return startRegistryServer(registry.config, pino({ level: registry.config.logLevel }));
}
