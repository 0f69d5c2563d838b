import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';

/** The injection token of the process's pino logger. */
export const LOGGER = Symbol('TIDEMARK_LOGGER');

/**
 * Provides the process's pino logger to every module, for classes that hand it on to code
 * outside Nest (the consumer transports, kafkajs).
 */
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggerModule,
      global: true,
      providers: [{ provide: LOGGER, useValue: logger }],
      exports: [LOGGER],
    };
  }
}
