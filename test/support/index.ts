export * from './oci-client';
export * from './test-database';
export * from './test-registry';
