import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** Creates the process logger. Secrets are redacted here, never at call sites. */
export function createLogger(level: string, app: string): Logger {
  return pino({
    level,
    base: { app },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.databaseUrl',
        '*.secretAccessKey',
      ],
      censor: '[redacted]',
    },
  });
}

type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Routes Nest's log lines into pino. Nest's own lines (start-up, route mapping) are text and
 * go to debug. Tidemark's classes log through Nest's `Logger` the structured way, a fields
 * object first and then a fixed message: `logger.error({ consumer, err }, 'consumer batch
 * failed')`. Nest appends the class name as the last parameter; it becomes `context`.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const context = params.length > 0 ? params[params.length - 1] : undefined;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.logger[level]({ ...message, context }, String(params.length > 1 ? params[0] : ''));
      return;
    }
    const stack = level === 'error' && params.length > 1 ? params[0] : undefined;
    this.logger[level]({ context, ...(stack === undefined ? {} : { stack }) }, String(message));
  }
}
