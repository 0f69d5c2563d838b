import { Database } from '@tidemark/db';
import { createTestDatabase, freePort } from '@tidemark/testing';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RegistryProcess } from '../../support/registry-process';
import { openProofStorage, type ProofStorage } from './proof-storage';

/** Registry processes on one database and one storage, each behind its own fault driver. */
export interface ProofCluster {
  readonly urls: readonly string[];
  /** The seed of each instance's fault driver, to reproduce a failing run. */
  readonly seeds: readonly number[];
  readonly database: Database;
  readonly storage: ProofStorage;
  readonly logDir: string;
  stop(): Promise<void>;
}

export interface ProofClusterOptions {
  /** One of PROOF_STORAGE's kinds. */
  readonly storage: string;
  readonly instances: number;
  /** Consistency-fault settings (TIDEMARK_STORAGE_FAULTS), less the seed. */
  readonly faults: object;
  /** Instance `i` gets seed `seed + i`, so the instances do not fail in step. */
  readonly seed: number;
  readonly readAfterWriteWindowMs: number;
}

// Kept after the run, next to the junit report, for reading when a check fails.
const LOG_DIR = resolve(__dirname, '../../../../test-results/consistency');

/**
 * Starts `instances` registry processes, one after another (each migrates on start), on a
 * fresh database and fresh storage of the kind `storage` names. Their logs go to LOG_DIR.
 */
export async function startProofCluster(options: ProofClusterOptions): Promise<ProofCluster> {
  const workDir = await mkdtemp(join(tmpdir(), 'tidemark-proof-'));
  await mkdir(LOG_DIR, { recursive: true });
  const databaseUrl = await createTestDatabase();
  const storage = await openProofStorage(options.storage, workDir);
  const processes: RegistryProcess[] = [];
  const seeds = Array.from({ length: options.instances }, (_, index) => options.seed + index);
  const database = Database.connect(databaseUrl, 4);
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((registry) => registry.stop()));
    await database.close();
    await storage.close();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    for (const [index, seed] of seeds.entries()) {
      processes.push(await startInstance(index, seed));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: processes.map((registry) => registry.url),
    seeds,
    database,
    storage,
    logDir: LOG_DIR,
    stop,
  };

  async function startInstance(index: number, seed: number): Promise<RegistryProcess> {
    return RegistryProcess.start({
      port: await freePort(),
      postgresPort: await freePort(),
      dataDir: join(workDir, `instance-${index}`),
      logFile: join(LOG_DIR, `${options.storage}-instance-${index}-seed-${seed}.log`),
      env: {
        TIDEMARK_DATABASE_URL: databaseUrl,
        ...storage.env,
        TIDEMARK_STORAGE_FAULTS: JSON.stringify({ ...options.faults, seed }),
        TIDEMARK_READ_AFTER_WRITE_WINDOW_MS: String(options.readAfterWriteWindowMs),
      },
    });
  }
}
