import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** One JSON line of a registry's log. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly time: number };

/** Reads the JSON lines of a registry's log file; other lines are left out. */
export async function readLogLines(file: string): Promise<LogLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/**
 * Waits until one of `files` gets a line with message `message`, written at or after
 * `sinceMs` and matching `fields`, and returns the file and the line. Throws after
 * `timeoutMs`.
 */
export async function waitForLogLine(
  files: readonly string[],
  message: string,
  options: { sinceMs: number; fields?: Record<string, unknown>; timeoutMs?: number },
): Promise<{ file: string; line: LogLine }> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const matches = (line: LogLine): boolean =>
    line.msg === message &&
    line.time >= options.sinceMs &&
    Object.entries(options.fields ?? {}).every(([name, value]) => line[name] === value);
  while (Date.now() < deadline) {
    for (const file of files) {
      const line = (await readLogLines(file)).find(matches);
      if (line !== undefined) {
        return { file, line };
      }
    }
    await delay(25);
  }
  throw new Error(`no '${message}' in ${files.join(', ')} within the timeout`);
}
