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
