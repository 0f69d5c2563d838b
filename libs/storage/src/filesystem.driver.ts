import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { concatenate } from './concatenate';
import { pathFor } from './path-for';
import type { ChunkRef, ReadRange, StorageDriver } from './storage-driver';
import { PathNotFoundError } from './storage-errors';

/**
 * Stores objects as files under one root directory. An upload is one file that chunks are
 * written into at their offsets, and assembling it is a rename onto the blob's key.
 */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async stat(path: string): Promise<{ size: number }> {
    try {
      const info = await stat(this.fullPath(path));
      return { size: info.size };
    } catch (error) {
      throw this.translate(error, path);
    }
  }

  async read(path: string, range?: ReadRange): Promise<Readable> {
    const handle = await open(this.fullPath(path), 'r').catch((error: unknown) => {
      throw this.translate(error, path);
    });
    return createReadStream('', { fd: handle, start: range?.start, end: range?.end });
  }

  async writeChunk(uploadId: string, offset: number, source: Readable): Promise<ChunkRef> {
    const key = pathFor({ kind: 'upload-data', uploadId });
    const size = await this.writeAt(key, offset, source);
    return { key, offset, size };
  }

  async readChunks(chunks: readonly ChunkRef[]): Promise<Readable> {
    const stored = chunks.filter((chunk) => chunk.size > 0);
    return concatenate(
      stored.map((chunk) => () => {
        return this.read(chunk.key, { start: chunk.offset, end: chunk.offset + chunk.size - 1 });
      }),
    );
  }

  async assemble(chunks: readonly ChunkRef[], target: string): Promise<void> {
    const keys = new Set(chunks.map((chunk) => chunk.key));
    const [onlyKey] = keys;
    if (keys.size === 1 && chunks[0]!.offset === 0) {
      // The common case: one upload file holding every chunk at its offset.
      const size = chunks.reduce((total, chunk) => total + chunk.size, 0);
      await this.truncate(onlyKey!, size);
      await this.replace(onlyKey!, target);
      return;
    }
    const staging = pathFor({ kind: 'staging', token: randomUUID() });
    await this.writeAt(staging, 0, await this.readChunks(chunks));
    await this.replace(staging, target);
  }

  async discardUpload(uploadId: string): Promise<void> {
    await this.delete(pathFor({ kind: 'upload-root', uploadId }));
  }

  async delete(path: string): Promise<void> {
    await rm(this.fullPath(path), { recursive: true, force: true });
  }

  /**
   * Writes `source` into the file at `path` from byte `offset`, first cutting the file at
   * `offset`, and returns the bytes written. Creates the file when `offset` is 0.
   */
  private async writeAt(path: string, offset: number, source: Readable): Promise<number> {
    const file = this.fullPath(path);
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, offset === 0 ? 'w' : 'r+').catch((error: unknown) => {
      throw this.translate(error, path);
    });
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await handle.truncate(offset);
    } catch (error) {
      await handle.close();
      throw error;
    }
    // The write stream owns the handle from here and closes it when it ends or fails.
    await pipeline(source, counter, createWriteStream('', { fd: handle, start: offset }));
    return written;
  }

  private async truncate(path: string, size: number): Promise<void> {
    const handle = await open(this.fullPath(path), 'r+').catch((error: unknown) => {
      throw this.translate(error, path);
    });
    try {
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
  }

  /** Renames `from` onto `to` (atomic on one filesystem), creating `to`'s directory. */
  private async replace(from: string, to: string): Promise<void> {
    const target = this.fullPath(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.fullPath(from), target).catch((error: unknown) => {
      throw this.translate(error, from);
    });
  }

  private fullPath(path: string): string {
    if (path.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`filesystem: refusing unsafe key ${path}`);
    }
    return join(this.root, path);
  }

  private translate(error: unknown, path: string): unknown {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? new PathNotFoundError(this.name, path, { cause: error }) : error;
  }
}
