import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadRange, StorageDriver } from './storage-driver';
import { PathNotFoundError } from './storage-errors';

/** Stores objects as files under one root directory. */
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

  async writeAt(path: string, offset: number, source: Readable): Promise<number> {
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

  async move(from: string, to: string): Promise<void> {
    const target = this.fullPath(to);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.fullPath(from), target).catch((error: unknown) => {
      throw this.translate(error, from);
    });
  }

  async delete(path: string): Promise<void> {
    await rm(this.fullPath(path), { recursive: true, force: true });
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
