import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The Postgres server the test run shares. `scripts/test.sh` starts one (embedded, real
 * binaries) and exports its URL; a suite run by hand can point at any server the same way.
 */
export function adminDatabaseUrl(): string {
  const url = process.env.TIDEMARK_TEST_DATABASE_URL;
  if (!url) {
    throw new Error('TIDEMARK_TEST_DATABASE_URL is not set: run the tests through `npm test`');
  }
  return url;
}

/** Creates an empty database for one suite and returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  const name = `tidemark_test_${randomBytes(6).toString('hex')}`;
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
