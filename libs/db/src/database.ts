import { Pool, type PoolClient } from 'pg';

/** A client inside an open transaction. Repositories take it so callers choose the boundary. */
export type Transaction = PoolClient;

/** Postgres error codes the registry reacts to. */
export const PgErrorCode = {
  UniqueViolation: '23505',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
} as const;

/** Returns the SQLSTATE of a pg error, if it is one. */
export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The process's Postgres pool and its one way of running a transaction. Every write of the
 * registry goes through `transaction`, so events and state change together or not at all.
 */
export class Database {
  constructor(readonly pool: Pool) {}

  static connect(url: string, poolSize: number): Database {
    const pool = new Pool({ connectionString: url, max: poolSize });
    // An idle client whose server went away (a restart, an admin's terminate: 57P01) emits
    // 'error' on the pool; unheard, that kills the process. The pool drops the client, and the
    // next query opens a fresh connection or fails on its own.
    pool.on('error', (error) => {
      process.emitWarning(`idle Postgres connection lost: ${error.message}`);
    });
    return new Database(pool);
  }

  /** Runs `work` in a READ COMMITTED transaction; rolls back if it throws. */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // The connection is broken; the release below discards it, and Postgres
        // rolls the transaction back on its own.
      });
      throw error;
    } finally {
      client.release();
    }
  }

  /** Runs one read-only statement outside any explicit transaction. */
  async query<Row extends object>(text: string, values: unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query<Row>(text, values);
    return result.rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<Pool, 'query'> | Transaction;
