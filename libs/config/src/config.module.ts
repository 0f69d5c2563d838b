import { Module, type DynamicModule } from '@nestjs/common';
import type { TidemarkConfig } from './config.schema';

/** The injection token of the validated configuration. */
export const CONFIG = Symbol('TIDEMARK_CONFIG');

/** Provides one validated configuration to every module of the process. */
@Module({})
export class ConfigModule {
  static forRoot(config: TidemarkConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: CONFIG, useValue: config }],
      exports: [CONFIG],
    };
  }
}
