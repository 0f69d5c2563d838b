import { digestOf } from '@tidemark/oci';
import { describeStorageDriver } from '@tidemark/storage/testing';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ConsistencyFaultDriver, type FaultClock } from './consistency-fault.driver';
import { parseConsistencyFaults } from './consistency-faults';
import { FilesystemDriver } from './filesystem.driver';
import { pathFor } from './path-for';
import type { ChunkRef, StorageDriver } from './storage-driver';
import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

const roots: string[] = [];

async function createStore(): Promise<FilesystemDriver> {
  const root = await mkdtemp(join(tmpdir(), 'tidemark-fault-driver-'));
  roots.push(root);
  return new FilesystemDriver(root);
}

after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describeStorageDriver(`${ConsistencyFaultDriver.name} with every fault off`, async () => {
  return new ConsistencyFaultDriver(await createStore(), parseConsistencyFaults('{}'));
});

/** A clock that moves only when told to, or when the driver sleeps. */
class ManualClock implements FaultClock {
  private time = 1_000_000;

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

interface Faulty {
  sut: ConsistencyFaultDriver;
  store: FilesystemDriver;
  clock: ManualClock;
}

async function faulty(faults: object, store?: FilesystemDriver): Promise<Faulty> {
  const inner = store ?? (await createStore());
  const clock = new ManualClock();
  const settings = parseConsistencyFaults(JSON.stringify({ seed: 1, ...faults }));
  return { sut: new ConsistencyFaultDriver(inner, settings, clock), store: inner, clock };
}

describe(ConsistencyFaultDriver.name, () => {
  describe('parseConsistencyFaults', () => {
    it('turns every fault off when given {}', () => {
      const faults = parseConsistencyFaults('{}');
      assert.equal(faults.newObjects.lagMs, 0);
      assert.equal(faults.transientErrors.rate, 0);
      assert.equal(faults.timeouts.rate, 0);
      assert.equal(faults.reordering.maxDelayMs, 0);
    });

    it('refuses JSON it cannot parse, unknown faults and rates above 1', () => {
      assert.throws(() => parseConsistencyFaults('{lag'), /not JSON/);
      assert.throws(() => parseConsistencyFaults('{"newObject":{"lagMs":5}}'), /newObject/);
      assert.throws(() => parseConsistencyFaults('{"timeouts":{"rate":2}}'), /timeouts\.rate/);
    });
  });

  describe('newObjects', () => {
    it('hides a new object from stat and read for lagMs, then shows it', async () => {
      const { sut, clock } = await faulty({ newObjects: { lagMs: 500 } });
      const path = await storeObject(sut, 'late', () => clock.advance(500));
      await assert.rejects(sut.stat(path), PathNotFoundError);
      await assert.rejects(sut.read(path), PathNotFoundError);
      clock.advance(499);
      await assert.rejects(sut.stat(path), PathNotFoundError);
      clock.advance(1);
      assert.deepEqual(await sut.stat(path), { size: 4 });
      assert.equal(await readText(sut.read(path)), 'late');
    });

    it('hides new chunks from readChunks and assemble for lagMs', async () => {
      const { sut, clock } = await faulty({ newObjects: { lagMs: 200 } });
      const chunk = await sut.writeChunk(randomUUID(), 0, source('chunk'));
      await assert.rejects(sut.readChunks([chunk]), PathNotFoundError);
      await assert.rejects(sut.assemble([chunk], blobKey('chunk')), PathNotFoundError);
      clock.advance(200);
      assert.equal(await readText(sut.readChunks([chunk])), 'chunk');
    });

    it('hides what another instance wrote until lagMs after this instance first sees it', async () => {
      const writer = await faulty({ newObjects: { lagMs: 100 } });
      const path = await storeObject(writer.store, 'elsewhere');
      const { sut, clock } = await faulty({ newObjects: { lagMs: 100 } }, writer.store);
      await assert.rejects(sut.stat(path), PathNotFoundError);
      clock.advance(100);
      assert.deepEqual(await sut.stat(path), { size: 9 });
    });

    it('shows what another instance wrote at once when lagOnFirstSight is off', async () => {
      const store = await createStore();
      const path = await storeObject(store, 'seen');
      const { sut } = await faulty({ newObjects: { lagMs: 100, lagOnFirstSight: false } }, store);
      assert.deepEqual(await sut.stat(path), { size: 4 });
    });

    it('during flapMs after the lag, misses the object on about flapRate of requests', async () => {
      const { sut, clock } = await faulty({
        newObjects: { lagMs: 10, flapMs: 100, flapRate: 0.3 },
      });
      const path = await storeObject(sut, 'flapping', () => clock.advance(110));
      clock.advance(10);
      const misses = await countFailures(400, () => sut.stat(path));
      assert.ok(misses > 80 && misses < 160, `${misses} of 400 missed`);
      clock.advance(100);
      assert.equal(await countFailures(50, () => sut.stat(path)), 0);
    });
  });

  describe('staleMetadata', () => {
    it('has stat report absence, then the previous size, while read serves the new bytes', async () => {
      const { sut, store, clock } = await faulty({ staleMetadata: { lagMs: 300 } });
      const path = 'blobs/test/stale';
      await store.assemble([await store.writeChunk(randomUUID(), 0, source('old'))], path);
      clock.advance(1000);
      await sut.assemble([await sut.writeChunk(randomUUID(), 0, source('newer'))], path);
      assert.deepEqual(await sut.stat(path), { size: 3 });
      assert.equal(await readText(sut.read(path)), 'newer');
      clock.advance(300);
      assert.deepEqual(await sut.stat(path), { size: 5 });

      const created = await storeObject(sut, 'created');
      await assert.rejects(sut.stat(created), PathNotFoundError);
      assert.equal(await readText(sut.read(created)), 'created');
    });
  });

  describe('deletes', () => {
    it('serves a deleted object for lagMs, then reports it absent', async () => {
      const { sut, clock } = await faulty({ deletes: { lagMs: 400 } });
      const path = await storeObject(sut, 'deleted');
      await sut.delete(path);
      assert.equal(await readText(sut.read(path)), 'deleted');
      clock.advance(400);
      await assert.rejects(sut.stat(path), PathNotFoundError);
    });

    it('keeps discarded chunks readable for lagMs', async () => {
      const { sut, clock } = await faulty({ deletes: { lagMs: 400 } });
      const uploadId = randomUUID();
      const chunk = await sut.writeChunk(uploadId, 0, source('discarded'));
      await sut.discardUpload(uploadId, [chunk]);
      assert.equal(await readText(sut.readChunks([chunk])), 'discarded');
      clock.advance(400);
      await assert.rejects(readText(sut.readChunks([chunk])), PathNotFoundError);
    });

    it('never lets a late delete remove what a later write stored', async () => {
      const { sut, clock } = await faulty({ deletes: { lagMs: 400 } });
      const path = await storeObject(sut, 'again');
      await sut.delete(path);
      await storeObject(sut, 'again');
      clock.advance(400);
      assert.equal(await readText(sut.read(path)), 'again');
    });
  });

  describe('transientErrors', () => {
    it('fails requests with StorageUnavailableError without touching the store', async () => {
      const { sut, store } = await faulty({ transientErrors: { rate: 1 } });
      const body = source('unread');
      await assert.rejects(sut.writeChunk(randomUUID(), 0, body), StorageUnavailableError);
      assert.equal(body.readableDidRead, false);
      const chunk = await store.writeChunk(randomUUID(), 0, source('kept'));
      const path = blobKey('kept');
      await assert.rejects(sut.assemble([chunk], path), StorageUnavailableError);
      await assert.rejects(store.stat(path), PathNotFoundError);
      await assert.rejects(sut.stat(path), StorageUnavailableError);
      await assert.rejects(sut.delete(path), StorageUnavailableError);
    });

    it('fails about `rate` of requests, only of the listed operations', async () => {
      const { sut } = await faulty({ transientErrors: { rate: 0.25, operations: ['stat'] } });
      const path = await storeObject(sut, 'sometimes');
      const failures = await countFailures(400, () => sut.stat(path));
      assert.ok(failures > 60 && failures < 140, `${failures} of 400 failed`);
      assert.equal(await countFailures(50, () => readText(sut.read(path))), 0);
    });

    it('fails the same requests again under the same seed', async () => {
      const pattern = async (seed: number): Promise<string> => {
        const { sut } = await faulty({
          seed,
          transientErrors: { rate: 0.5, operations: ['stat'] },
        });
        const path = await storeObject(sut, 'replayed');
        let outcomes = '';
        for (let index = 0; index < 40; index++) {
          outcomes += await sut.stat(path).then(
            () => '.',
            () => 'x',
          );
        }
        return outcomes;
      };
      assert.equal(await pattern(7), await pattern(7));
      assert.notEqual(await pattern(7), await pattern(8));
    });

    it('breaks streams part-way at streamRate, never ending them cleanly', async () => {
      const { sut, store } = await faulty({ transientErrors: { streamRate: 1 } });
      const content = 'x'.repeat(200_000);
      const path = await storeObject(store, content);
      await assert.rejects(readText(sut.read(path)), StorageUnavailableError);
      const empty = await storeObject(store, '');
      await assert.rejects(readText(sut.read(empty)), StorageUnavailableError);
    });
  });

  describe('timeouts', () => {
    it('fails a request after delayMs', async () => {
      const { sut, clock } = await faulty({ timeouts: { rate: 1, delayMs: 5000 } });
      const started = clock.now();
      await assert.rejects(sut.stat(blobKey('slow')), StorageUnavailableError);
      assert.equal(clock.now() - started, 5000);
    });

    it('lets a timed-out write take effect at appliedRate 1, and not at 0', async () => {
      for (const [appliedRate, isApplied] of [
        [1, true],
        [0, false],
      ] as const) {
        const store = await createStore();
        const { sut } = await faulty({ timeouts: { rate: 1, delayMs: 10, appliedRate } }, store);
        const content = `applied ${appliedRate}`;
        const chunk = await store.writeChunk(randomUUID(), 0, source(content));
        await assert.rejects(sut.assemble([chunk], blobKey(content)), StorageUnavailableError);
        const stored = await store.stat(blobKey(content)).then(
          () => true,
          () => false,
        );
        assert.equal(stored, isApplied);
      }
    });
  });

  describe('reordering', () => {
    it('makes concurrent writes finish in another order than they started', async () => {
      const faults = parseConsistencyFaults('{"seed":3,"reordering":{"maxDelayMs":40}}');
      const sut = new ConsistencyFaultDriver(await createStore(), faults);
      const finished: number[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async (_, index) => {
          await sut.writeChunk(randomUUID(), 0, source(`write ${index}`));
          finished.push(index);
        }),
      );
      assert.notDeepEqual(
        finished,
        finished.map((_, index) => index),
      );
    });
  });
});

function blobKey(content: string): string {
  return pathFor({ kind: 'blob-data', digest: digestOf(Buffer.from(content)) });
}

/**
 * Stores `content` as a one-chunk upload assembled onto its blob key and returns the key.
 * `beforeAssemble` can let time pass until the chunk shows.
 */
async function storeObject(
  driver: StorageDriver,
  content: string,
  beforeAssemble = (): void => undefined,
): Promise<string> {
  const uploadId = randomUUID();
  const chunks: ChunkRef[] = [await driver.writeChunk(uploadId, 0, source(content))];
  beforeAssemble();
  const path = blobKey(content);
  await driver.assemble(chunks, path);
  return path;
}

function source(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

async function readText(stream: Promise<Readable>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of await stream) {
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString();
}

async function countFailures(times: number, request: () => Promise<unknown>): Promise<number> {
  let failures = 0;
  for (let index = 0; index < times; index++) {
    failures += await request().then(
      () => 0,
      () => 1,
    );
  }
  return failures;
}
