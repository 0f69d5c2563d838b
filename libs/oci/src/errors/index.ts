export * from './registry-error';
export * from './catalogue';
