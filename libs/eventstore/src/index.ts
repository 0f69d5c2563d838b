export * from './concurrency';
export * from './event-store';
export * from './recorded-event';
