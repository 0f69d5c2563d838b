export * from './event-metadata';
export * from './registry-events';
