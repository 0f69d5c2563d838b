import { digestOf } from '@tidemark/oci';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { pathFor, PathNotFoundError, type ChunkRef, type StorageDriver } from '../src';

/** Returns a driver over an empty store. The suite calls it once and uses fresh keys per test. */
export type CreateDriver = () => StorageDriver | Promise<StorageDriver>;

/**
 * Registers the tests of the StorageDriver contract (`libs/storage/src/storage-driver.ts`) for
 * one driver. Every driver runs this one suite; none keeps its own copy of these behaviours, so
 * a driver that passes here can stand in for any other.
 */
export function describeStorageDriver(name: string, createDriver: CreateDriver): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let sut: StorageDriver;

    before(async () => {
      sut = await createDriver();
    });

    /** Uploads `parts` as chunks and assembles them into the blob of their bytes. */
    async function storeBlob(...parts: string[]): Promise<string> {
      const uploadId = randomUUID();
      const chunks: ChunkRef[] = [];
      let offset = 0;
      for (const part of parts) {
        chunks.push(await sut.writeChunk(uploadId, offset, source(part)));
        offset += part.length;
      }
      const path = blobKey(parts.join(''));
      await sut.assemble(chunks, path);
      await sut.discardUpload(uploadId, chunks);
      return path;
    }

    it('has a name for logs and errors', () => {
      assert.match(sut.name, /\S/);
    });

    describe('stat', () => {
      it('returns the size of a stored object', async () => {
        assert.deepEqual(await sut.stat(await storeBlob('hello', ' world')), { size: 11 });
      });

      it('returns size 0 for an empty object', async () => {
        assert.deepEqual(await sut.stat(await storeBlob()), { size: 0 });
      });

      it('throws PathNotFoundError naming the driver and path when the object is absent', async () => {
        const path = blobKey(randomUUID());
        await assertPathNotFound(sut.stat(path), sut, path);
      });
    });

    describe('read', () => {
      it('streams the whole object', async () => {
        assert.equal(await readText(sut.read(await storeBlob('0123456789'))), '0123456789');
      });

      const ranges: [string, number, number, string][] = [
        ['from the first byte', 0, 3, '0123'],
        ['in the middle', 3, 6, '3456'],
        ['of a single byte', 5, 5, '5'],
        ['to the last byte', 7, 9, '789'],
        ['covering the whole object', 0, 9, '0123456789'],
      ];
      for (const [label, start, end, expected] of ranges) {
        it(`streams an inclusive range ${label}`, async () => {
          const path = await storeBlob('0123', '456789');
          assert.equal(await readText(sut.read(path, { start, end })), expected);
        });
      }

      it('yields an empty stream for an empty object', async () => {
        assert.equal(await readText(sut.read(await storeBlob())), '');
      });

      it('throws PathNotFoundError when the object is absent', async () => {
        const path = blobKey(randomUUID());
        await assertPathNotFound(sut.read(path), sut, path);
      });
    });

    describe('writeChunk', () => {
      it('stores a chunk and says where, from which offset, and how many bytes', async () => {
        const chunk = await sut.writeChunk(randomUUID(), 0, source('abc', 'def'));
        assert.equal(chunk.offset, 0);
        assert.equal(chunk.size, 6);
        assert.equal(await readText(sut.readChunks([chunk])), 'abcdef');
      });

      it('appends chunks at the offsets where the upload stands, as a resumed upload does', async () => {
        const uploadId = randomUUID();
        const first = await sut.writeChunk(uploadId, 0, source('hello '));
        const second = await sut.writeChunk(uploadId, 6, source('world'));
        assert.equal(await readText(sut.readChunks([first, second])), 'hello world');
      });

      it('lets a rewrite at an offset replace what was stored from there on', async () => {
        const uploadId = randomUUID();
        const first = await sut.writeChunk(uploadId, 0, source('keep-'));
        await sut.writeChunk(uploadId, 5, source('interrupted write'));
        const retry = await sut.writeChunk(uploadId, 5, source('done'));
        assert.equal(await readText(sut.readChunks([first, retry])), 'keep-done');
      });

      it('rejects when the source fails, and a retry at the same offset then succeeds', async () => {
        const uploadId = randomUUID();
        const first = await sut.writeChunk(uploadId, 0, source('0123'));
        await assert.rejects(
          sut.writeChunk(uploadId, 4, failingSource('partial')),
          /source failed/,
        );
        const retry = await sut.writeChunk(uploadId, 4, source('4567'));
        assert.equal(await readText(sut.readChunks([first, retry])), '01234567');
      });

      it('stores an empty chunk from an empty source', async () => {
        const chunk = await sut.writeChunk(randomUUID(), 0, source());
        assert.equal(chunk.size, 0);
        assert.equal(await readText(sut.readChunks([chunk])), '');
      });
    });

    describe('assemble', () => {
      it('makes the target hold the chunks in order', async () => {
        const path = await storeBlob('one ', 'two ', 'three');
        assert.equal(await readText(sut.read(path)), 'one two three');
      });

      it('makes an empty object of no chunks', async () => {
        const path = blobKey(`empty ${randomUUID()}`);
        await sut.assemble([], path);
        assert.deepEqual(await sut.stat(path), { size: 0 });
      });

      it('replaces an object already at the target, as a second upload of one digest does', async () => {
        const first = await storeBlob('same bytes');
        const second = await storeBlob('same', ' bytes');
        assert.equal(first, second);
        assert.equal(await readText(sut.read(second)), 'same bytes');
      });

      it('leaves out what an interrupted write stored beyond the last chunk', async () => {
        const uploadId = randomUUID();
        const chunk = await sut.writeChunk(uploadId, 0, source('kept'));
        await assert.rejects(sut.writeChunk(uploadId, 4, failingSource('lost')), /source failed/);
        const path = blobKey('kept');
        await sut.assemble([chunk], path);
        assert.equal(await readText(sut.read(path)), 'kept');
      });
    });

    describe('discardUpload', () => {
      it('deletes the chunks of an upload', async () => {
        const uploadId = randomUUID();
        const chunk = await sut.writeChunk(uploadId, 0, source('gone'));
        await sut.discardUpload(uploadId, [chunk]);
        await assert.rejects(readText(sut.readChunks([chunk])), PathNotFoundError);
      });

      it('succeeds when there is nothing to delete, and when repeated', async () => {
        const uploadId = randomUUID();
        await sut.discardUpload(uploadId, []);
        await sut.discardUpload(uploadId, []);
      });
    });

    describe('delete', () => {
      it('deletes an object', async () => {
        const path = await storeBlob(`delete me ${randomUUID()}`);
        await sut.delete(path);
        await assertPathNotFound(sut.stat(path), sut, path);
      });

      it('succeeds when nothing is there, and when repeated', async () => {
        const path = blobKey(randomUUID());
        await sut.delete(path);
        await sut.delete(path);
      });

      it('deletes everything below a path, and nothing that merely shares its prefix', async () => {
        const uploadId = randomUUID();
        const doomed = await sut.writeChunk(uploadId, 0, source('doomed'));
        const neighbour = await sut.writeChunk(`${uploadId}0`, 0, source('neighbour'));
        await sut.delete(pathFor({ kind: 'upload-root', uploadId }));
        await assert.rejects(readText(sut.readChunks([doomed])), PathNotFoundError);
        assert.equal(await readText(sut.readChunks([neighbour])), 'neighbour');
      });
    });
  });
}

function blobKey(content: string): string {
  return pathFor({ kind: 'blob-data', digest: digestOf(Buffer.from(content)) });
}

function source(...chunks: string[]): Readable {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
}

/** A source that sends `chunk`, then fails, as a client connection that drops would. */
function failingSource(chunk: string): Readable {
  return new Readable({
    read() {
      this.push(Buffer.from(chunk));
      this.destroy(new Error('source failed'));
    },
  });
}

async function readText(stream: Promise<Readable>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of await stream) {
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString();
}

async function assertPathNotFound(
  operation: Promise<unknown>,
  driver: StorageDriver,
  path: string,
): Promise<void> {
  await assert.rejects(operation, (error: unknown) => {
    assert.ok(
      error instanceof PathNotFoundError,
      `expected PathNotFoundError, got ${String(error)}`,
    );
    assert.equal(error.driver, driver.name);
    assert.equal(error.path, path);
    return true;
  });
}
