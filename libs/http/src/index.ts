export * from './create-registry-app';
export * from './oci-exception.filter';
export * from './registry-response';
export * from './registry-url';
export * from './repository-name.pipe';
export * from './request-meta.decorator';
