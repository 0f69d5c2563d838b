import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `condition` every 50 ms until it holds. Throws, naming `what`, when it still does
 * not after `timeoutMs`.
 */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    }
    await delay(50);
  }
}
