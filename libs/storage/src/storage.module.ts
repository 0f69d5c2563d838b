import { Module, type DynamicModule } from '@nestjs/common';
import type { StorageDriver } from './storage-driver';

/** The injection token of the process's StorageDriver. */
export const STORAGE_DRIVER = Symbol('STORAGE_DRIVER');

/** Provides one storage driver to every module. */
@Module({})
export class StorageModule {
  static forRoot(driver: StorageDriver): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [{ provide: STORAGE_DRIVER, useValue: driver }],
      exports: [STORAGE_DRIVER],
    };
  }
}
