export * from './digest';
export * from './errors';
export * from './media-types';
export * from './ranges';
export * from './reference';
export * from './manifest/descriptor';
export * from './manifest/parse-manifest';
