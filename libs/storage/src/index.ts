export * from './filesystem.driver';
export * from './path-for';
export * from './storage-driver';
export * from './storage-errors';
export * from './storage.module';
