import { setTimeout as sleep } from 'node:timers/promises';
import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

/** How `retryStorage` repeats a storage call. */
export interface StorageRetryPolicy {
  /**
   * How long a PathNotFoundError is waited out, for a store that shows new objects late
   * (the read-after-write window). 0: it is thrown at once.
   */
  readonly notFoundWindowMs: number;
  /** How many times a StorageUnavailableError is retried before it is thrown. Default 5. */
  readonly retries?: number;
  /**
   * Asked before each repeat; false makes the last error final. For calls that consume
   * something once, such as a request body that cannot be read twice.
   */
  readonly canRepeat?: () => boolean;
}

const FIRST_DELAY_MS = 25;
const MAX_DELAY_MS = 500;

/**
 * Runs a storage call and repeats it, with exponential backoff, while it fails in a way that
 * may pass: StorageUnavailableError up to `retries` times, PathNotFoundError until
 * `notFoundWindowMs` has passed since the first attempt. Throws the last error otherwise.
 * Only for calls that are safe to repeat: reads, and writes whose repetition stores the same
 * bytes under the same key (a failed write may have taken effect).
 */
export async function retryStorage<T>(
  call: () => Promise<T>,
  policy: StorageRetryPolicy,
): Promise<T> {
  const started = Date.now();
  const retries = policy.retries ?? 5;
  let unavailable = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const isUnavailable = error instanceof StorageUnavailableError && unavailable++ < retries;
      const isLate =
        error instanceof PathNotFoundError && Date.now() - started < policy.notFoundWindowMs;
      if ((!isUnavailable && !isLate) || policy.canRepeat?.() === false) {
        throw error;
      }
      const delay = Math.min(FIRST_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
      // Half fixed, half random, so instances retrying one object do not move in step.
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
