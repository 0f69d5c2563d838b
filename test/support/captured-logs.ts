import pino, { type Logger } from 'pino';

/** One JSON log line as pino wrote it. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly level: number };

/** A pino logger whose lines are kept in memory, for tests that assert on what was logged. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: LogLine[];
  /** Returns the lines whose message is `message`. */
  withMessage(message: string): LogLine[];
}

/** Creates a logger at `level` that keeps every line it writes. */
export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return {
    logger,
    lines,
    withMessage: (message) => lines.filter((line) => line.msg === message),
  };
}
