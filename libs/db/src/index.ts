export * from './database';
export * from './embedded-postgres';
export * from './migrate';
export * from './migrations';
export * from './database.module';
