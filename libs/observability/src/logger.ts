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

/** Routes Nest's own log lines (module start-up, route mapping) into pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, stack?: string, context?: string): void {
    this.logger.error({ context, stack }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
