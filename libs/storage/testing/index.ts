export * from './describe-storage-driver';
