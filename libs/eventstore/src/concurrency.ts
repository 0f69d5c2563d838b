import { PgErrorCode, pgErrorCode } from '@tidemark/db';

/** Thrown by `append` when the stream moved past the version the caller decided on. */
export class StreamConflictError extends Error {
  constructor(
    readonly stream: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${stream} is no longer at version ${expectedVersion}`);
    this.name = 'StreamConflictError';
  }
}

/** What `append` checks before writing: an exact version, or none (ordering only). */
export type ExpectedVersion = number | 'any';

const RETRYABLE_PG_CODES = new Set<string>([
  PgErrorCode.UniqueViolation,
  PgErrorCode.SerializationFailure,
  PgErrorCode.DeadlockDetected,
]);

/**
 * Runs `attempt` until it does not fail with a stream conflict or a retryable Postgres
 * error, at most `attempts` times, with a short random backoff. Each attempt must be a whole
 * transaction, so a retry re-reads the state it decides on.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 12): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      const isRetryable =
        error instanceof StreamConflictError || RETRYABLE_PG_CODES.has(pgErrorCode(error) ?? '');
      if (!isRetryable || tried >= attempts) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * tried));
    }
  }
}
