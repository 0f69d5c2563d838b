import type { Readable } from 'node:stream';

/** An inclusive byte range to read. */
export interface ReadRange {
  readonly start: number;
  readonly end: number;
}

/** Reports the size of stored objects. */
export interface BlobStatter {
  /** Returns the size of the object at `path`. Throws PathNotFoundError when it is absent. */
  stat(path: string): Promise<{ size: number }>;
}

/** Streams stored objects. */
export interface BlobReader {
  /**
   * Opens a stream over the object at `path`, or over `range` of it. Throws
   * PathNotFoundError when it is absent. A zero-length object yields an empty stream.
   */
  read(path: string, range?: ReadRange): Promise<Readable>;
}

/** Writes objects from streams. */
export interface BlobIngester {
  /**
   * Writes `source` into the object at `path` starting at byte `offset`, first dropping
   * anything stored beyond `offset` (the remains of an interrupted write), and returns the
   * number of bytes written. Creates the object when `offset` is 0. Retrying with the
   * same offset and bytes is safe.
   */
  writeAt(path: string, offset: number, source: Readable): Promise<number>;
}

/** Moves objects. */
export interface BlobMover {
  /**
   * Moves the object at `from` to `to`, replacing `to` if present. Callers only ever move
   * onto a content-addressed key, so replacing writes identical bytes. Throws
   * PathNotFoundError when `from` is absent.
   */
  move(from: string, to: string): Promise<void>;
}

/** Deletes objects. */
export interface BlobDeleter {
  /** Deletes the object at `path` and anything below it. Idempotent: absent is not an error. */
  delete(path: string): Promise<void>;
}

/** Everything the registry asks of a storage backend. Keys come from `pathFor` only. */
export interface StorageDriver extends BlobStatter, BlobReader, BlobIngester, BlobMover, BlobDeleter {
  /** The driver's name, for logs and errors. */
  readonly name: string;
}
