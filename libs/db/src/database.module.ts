import { Module, type DynamicModule } from '@nestjs/common';
import { Database } from './database';

/** Provides the process's one Database to every module. */
@Module({})
export class DatabaseModule {
  static forRoot(database: Database): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [{ provide: Database, useValue: database }],
      exports: [Database],
    };
  }
}
