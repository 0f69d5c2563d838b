export * from './blob.repository';
export * from './catalog.repository';
export * from './event-recorder';
export * from './manifest.repository';
export * from './state-projector';
export * from './tag.repository';
export * from './upload.repository';
export * from './state.module';
