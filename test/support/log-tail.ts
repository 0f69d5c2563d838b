import { readFile } from 'node:fs/promises';

/**
 * Returns the last `lines` lines of a server's log file under a header naming the file, for
 * the error a failed start throws. A file that does not exist yet reads as empty.
 */
export async function readLogTail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return `---- last lines of ${file} ----\n${tail}`;
}
