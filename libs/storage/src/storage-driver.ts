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

/** Where one chunk of an upload is stored. Upload sessions keep their list in Postgres. */
export interface ChunkRef {
  readonly key: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * Takes uploads in chunks and turns them into blobs. Which key holds which chunk is the
 * driver's business, but the list of chunks is the caller's: it lives in Postgres with the
 * session, so no driver is ever asked to list what an upload holds.
 */
export interface UploadIngester {
  /**
   * Stores `source` as the chunk of upload `uploadId` that starts at byte `offset` and
   * returns where it went. Anything stored for the upload at or beyond `offset` stops
   * counting (the remains of an interrupted write). A failed write leaves no chunk the
   * caller knows of, so retrying with the same offset is safe. An empty source stores an
   * empty chunk.
   */
  writeChunk(uploadId: string, offset: number, source: Readable): Promise<ChunkRef>;
  /** Streams the bytes of `chunks`, in order. Throws PathNotFoundError if one is gone. */
  readChunks(chunks: readonly ChunkRef[]): Promise<Readable>;
  /**
   * Makes the object at `target` hold the bytes of `chunks` in order (none: empty),
   * replacing an object already there. Callers only assemble onto content-addressed keys
   * after checking the digest, so a replaced object held the same bytes. The chunks may be
   * gone afterwards.
   */
  assemble(chunks: readonly ChunkRef[], target: string): Promise<void>;
  /** Deletes everything stored for an upload. Idempotent. */
  discardUpload(uploadId: string, chunks: readonly ChunkRef[]): Promise<void>;
}

/** Deletes objects. */
export interface BlobDeleter {
  /** Deletes the object at `path` and anything below it. Idempotent: absent is not an error. */
  delete(path: string): Promise<void>;
}

/** Everything the registry asks of a storage backend. Keys come from `pathFor` only. */
export interface StorageDriver extends BlobStatter, BlobReader, UploadIngester, BlobDeleter {
  /** The driver's name, for logs and errors. */
  readonly name: string;
  /**
   * Returns a URL from which a client can GET the object at `path` (ranges included)
   * directly from the backend, without credentials, for `expirySeconds`. Only drivers over
   * a backend that serves HTTP have it. Does not check that the object exists; each call
   * signs a new URL.
   */
  presignRead?(path: string, expirySeconds: number): Promise<string>;
  /** Releases what the driver holds open (connections). The driver is unusable afterwards. */
  close?(): void;
}
