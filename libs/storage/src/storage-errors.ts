/** A driver was asked for an object that is not there (or not visible yet). */
export class PathNotFoundError extends Error {
  constructor(
    readonly driver: string,
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`${driver}: no object at ${path}`, options);
    this.name = 'PathNotFoundError';
  }
}

/**
 * The store failed a request in a way that may pass when retried: throttling, a 5xx, a
 * timeout, a dropped connection. When the request was a write, whether it took effect is
 * unknown, so only idempotent operations may be retried on it.
 */
export class StorageUnavailableError extends Error {
  constructor(
    readonly driver: string,
    readonly path: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${driver}: ${reason} at ${path}`, options);
    this.name = 'StorageUnavailableError';
  }
}
