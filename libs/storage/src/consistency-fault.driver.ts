import { pipeline, Transform, type Readable } from 'node:stream';
import type { ConsistencyFaults, FaultableOperation } from './consistency-faults';
import { SeededRandom } from './seeded-random';
import type { ChunkRef, ReadRange, StorageDriver } from './storage-driver';
import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

/** The time source of the fault driver. Tests pass their own to step time by hand. */
export interface FaultClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: FaultClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What this instance knows of the current version of an object or chunk. */
interface Sighting {
  /** When it was written here, or first seen here when someone else wrote it. */
  readonly since: number;
  /** True when nothing was there before, so a lagging store may not show it yet. */
  readonly isNew: boolean;
  /** The size before this instance's write (null: absent); undefined when not written here. */
  readonly previousSize?: number | null;
}

/** A delete that the store has accepted but that does not show yet. */
interface PendingDelete {
  /** `path:<key>` (the key and everything below it) or `upload:<uploadId>`. */
  readonly scope: string;
  readonly dueAt: number;
  readonly run: () => Promise<void>;
}

// Sightings are kept per key; past this many the oldest are forgotten, and an object
// forgotten and seen again lags once more, which is harmless.
const MAX_SIGHTINGS = 100_000;
const MAX_STREAM_CUT_BYTES = 64 * 1024;
const WRITES: ReadonlySet<FaultableOperation> = new Set([
  'writeChunk',
  'assemble',
  'discardUpload',
  'delete',
]);

/**
 * Wraps another driver and behaves like an eventually consistent, unreliable object store:
 * new objects show late, stat reports stale sizes, deletes show late, requests fail or time
 * out, and concurrent writes finish out of order (`ConsistencyFaults` says which and how
 * often). It exists to prove that the registry stays correct on such a store; see
 * `docs/consistency-fault-driver.md`. With no faults set it only passes calls through.
 *
 * What it knows (when an object was written or first seen) lives in this process, so two
 * instances on one store each lag on their own. The port has no listings, so stale listings
 * have nothing to act on.
 */
export class ConsistencyFaultDriver implements StorageDriver {
  readonly name: string;
  readonly seed: number;
  private readonly random: SeededRandom;
  private readonly sightings = new Map<string, Sighting>();
  private pendingDeletes: PendingDelete[] = [];
  /** The inner driver's presigned reads, when it has them. The URL reaches the inner store. */
  readonly presignRead?: (path: string, expirySeconds: number) => Promise<string>;

  constructor(
    private readonly inner: StorageDriver,
    private readonly faults: ConsistencyFaults,
    private readonly clock: FaultClock = systemClock,
  ) {
    this.name = `consistency-fault(${inner.name})`;
    this.seed = faults.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = new SeededRandom(this.seed);
    const { presignRead } = inner;
    if (presignRead !== undefined) {
      this.presignRead = (path, expirySeconds) => presignRead.call(inner, path, expirySeconds);
    }
  }

  close(): void {
    this.inner.close?.();
  }

  async stat(path: string): Promise<{ size: number }> {
    return this.faulty('stat', path, async () => {
      const result = await this.inner.stat(path);
      const sighting = this.sightingOf(path);
      if (this.isHidden(sighting)) {
        throw new PathNotFoundError(this.name, path);
      }
      const isStale =
        sighting !== undefined && this.ageOf(sighting) < this.faults.staleMetadata.lagMs;
      if (!isStale || sighting.previousSize === undefined) {
        return result;
      }
      if (sighting.previousSize === null) {
        throw new PathNotFoundError(this.name, path);
      }
      return { size: sighting.previousSize };
    });
  }

  async read(path: string, range?: ReadRange): Promise<Readable> {
    return this.faulty('read', path, async () => {
      const stream = await this.inner.read(path, range);
      if (this.isHidden(this.sightingOf(path))) {
        stream.destroy();
        throw new PathNotFoundError(this.name, path);
      }
      return this.maybeBreak(stream, path);
    });
  }

  async writeChunk(uploadId: string, offset: number, source: Readable): Promise<ChunkRef> {
    const scope = `upload:${uploadId}`;
    return this.faulty('writeChunk', `uploads/${uploadId}`, async () => {
      await this.flushPendingDeletes((pending) => pending.scope === scope);
      const chunk = await this.inner.writeChunk(uploadId, offset, source);
      this.remember(chunkKey(chunk), null);
      return chunk;
    });
  }

  async readChunks(chunks: readonly ChunkRef[]): Promise<Readable> {
    const path = chunks[0]?.key ?? '(no chunks)';
    return this.faulty('readChunks', path, async () => {
      this.checkChunksVisible(chunks);
      return this.maybeBreak(await this.inner.readChunks(chunks), path);
    });
  }

  async assemble(chunks: readonly ChunkRef[], target: string): Promise<void> {
    return this.faulty('assemble', target, async () => {
      this.checkChunksVisible(chunks);
      await this.flushPendingDeletes((pending) => covers(pending.scope, target));
      const previousSize = this.tracksWrites() ? await this.sizeInStore(target) : null;
      await this.inner.assemble(chunks, target);
      this.remember(target, previousSize);
    });
  }

  async discardUpload(uploadId: string, chunks: readonly ChunkRef[]): Promise<void> {
    return this.faulty('discardUpload', `uploads/${uploadId}`, () =>
      this.deleteLater(`upload:${uploadId}`, () => this.inner.discardUpload(uploadId, chunks)),
    );
  }

  async delete(path: string): Promise<void> {
    return this.faulty('delete', path, () =>
      this.deleteLater(`path:${path}`, () => this.inner.delete(path)),
    );
  }

  /**
   * Runs `act` as one request to the store, with the faults that apply to every request:
   * an injected failure, a timeout (after which a write may or may not have happened) and,
   * for writes, random delays around it. Names PathNotFoundErrors after this driver.
   */
  private async faulty<T>(
    operation: FaultableOperation,
    path: string,
    act: () => Promise<T>,
  ): Promise<T> {
    const isWrite = WRITES.has(operation);
    await this.flushPendingDeletes((pending) => pending.dueAt <= this.clock.now());
    const { transientErrors, timeouts } = this.faults;
    if (
      transientErrors.operations.includes(operation) &&
      this.random.chance(transientErrors.rate)
    ) {
      throw new StorageUnavailableError(this.name, path, `injected ${operation} failure`);
    }
    if (timeouts.operations.includes(operation) && this.random.chance(timeouts.rate)) {
      if (isWrite && this.random.chance(timeouts.appliedRate)) {
        await act().catch(() => undefined);
      }
      await this.clock.sleep(timeouts.delayMs);
      throw new StorageUnavailableError(this.name, path, `injected ${operation} timeout`);
    }
    if (isWrite) {
      await this.delayRandomly();
    }
    const result = await act().catch((error: unknown) => {
      throw this.translate(error);
    });
    if (isWrite) {
      await this.delayRandomly();
    }
    return result;
  }

  /** Returns the sighting of `key`, first recording one when this instance has never seen it. */
  private sightingOf(key: string): Sighting | undefined {
    const known = this.sightings.get(key);
    if (
      known !== undefined ||
      !this.tracksNewObjects() ||
      !this.faults.newObjects.lagOnFirstSight
    ) {
      return known;
    }
    const sighting = { since: this.clock.now(), isNew: true };
    this.setSighting(key, sighting);
    return sighting;
  }

  /** Records a write of `key`, over an object of `previousSize` bytes (null: none). */
  private remember(key: string, previousSize: number | null): void {
    if (!this.tracksWrites()) {
      return;
    }
    // A write over an object that does not show yet does not show either.
    const earlier = this.sightings.get(key);
    const isNew = previousSize === null || (earlier !== undefined && this.isStillLagging(earlier));
    this.setSighting(key, { since: this.clock.now(), isNew, previousSize });
  }

  private setSighting(key: string, sighting: Sighting): void {
    this.sightings.delete(key);
    this.sightings.set(key, sighting);
    if (this.sightings.size > MAX_SIGHTINGS) {
      this.sightings.delete(this.sightings.keys().next().value!);
    }
  }

  /** Decides whether this request misses the object: always while it lags, sometimes while it flaps. */
  private isHidden(sighting: Sighting | undefined): boolean {
    if (sighting === undefined || !sighting.isNew) {
      return false;
    }
    const { lagMs, flapMs, flapRate } = this.faults.newObjects;
    const age = this.ageOf(sighting);
    if (age < lagMs) {
      return true;
    }
    return age < lagMs + flapMs && this.random.chance(flapRate);
  }

  private isStillLagging(sighting: Sighting): boolean {
    const { lagMs, flapMs } = this.faults.newObjects;
    return sighting.isNew && this.ageOf(sighting) < lagMs + flapMs;
  }

  private checkChunksVisible(chunks: readonly ChunkRef[]): void {
    const hidden = chunks.find((chunk) => this.isHidden(this.sightingOf(chunkKey(chunk))));
    if (hidden !== undefined) {
      throw new PathNotFoundError(this.name, hidden.key);
    }
  }

  private async sizeInStore(path: string): Promise<number | null> {
    try {
      return (await this.inner.stat(path)).size;
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        return null;
      }
      throw error;
    }
  }

  /** Deletes now, or records the delete to happen after the configured lag. */
  private async deleteLater(scope: string, run: () => Promise<void>): Promise<void> {
    const { lagMs } = this.faults.deletes;
    if (lagMs === 0) {
      await run();
      return;
    }
    this.pendingDeletes.push({ scope, dueAt: this.clock.now() + lagMs, run });
    const timer = setTimeout(() => {
      void this.flushPendingDeletes((pending) => pending.dueAt <= this.clock.now());
    }, lagMs);
    timer.unref();
  }

  /**
   * Carries out the pending deletes that `isDue` selects: those whose time has come, or
   * those a new write must not be overtaken by (a delete issued before a write never
   * removes what the write stored).
   */
  private async flushPendingDeletes(isDue: (pending: PendingDelete) => boolean): Promise<void> {
    const due: PendingDelete[] = [];
    const waiting: PendingDelete[] = [];
    for (const pending of this.pendingDeletes) {
      (isDue(pending) ? due : waiting).push(pending);
    }
    this.pendingDeletes = waiting;
    for (const pending of due) {
      // The caller was told the delete succeeded; a failure here leaves garbage behind,
      // as a lost delete in a real store would.
      await pending.run().catch(() => undefined);
    }
  }

  /** Returns `stream`, or, at the configured rate, a stream that breaks part-way through it. */
  private maybeBreak(stream: Readable, path: string): Readable {
    if (!this.random.chance(this.faults.transientErrors.streamRate)) {
      return stream;
    }
    const cut = this.random.upTo(MAX_STREAM_CUT_BYTES);
    const failure = (): Error =>
      new StorageUnavailableError(this.name, path, 'injected broken stream');
    let passed = 0;
    const breaker = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (passed + chunk.length <= cut) {
          passed += chunk.length;
          done(null, chunk);
          return;
        }
        this.push(chunk.subarray(0, cut - passed));
        passed = cut;
        done(failure());
      },
      flush(done) {
        done(failure());
      },
    });
    return pipeline(stream, breaker, () => undefined);
  }

  private async delayRandomly(): Promise<void> {
    const delay = this.random.upTo(this.faults.reordering.maxDelayMs);
    if (delay > 0) {
      await this.clock.sleep(delay);
    }
  }

  private ageOf(sighting: Sighting): number {
    return this.clock.now() - sighting.since;
  }

  private tracksNewObjects(): boolean {
    return this.faults.newObjects.lagMs > 0 || this.faults.newObjects.flapMs > 0;
  }

  private tracksWrites(): boolean {
    return this.tracksNewObjects() || this.faults.staleMetadata.lagMs > 0;
  }

  private translate(error: unknown): unknown {
    if (error instanceof PathNotFoundError && error.driver !== this.name) {
      return new PathNotFoundError(this.name, error.path, { cause: error });
    }
    return error;
  }
}

/** Chunks of one upload may share a key (filesystem), so a chunk is its key and offset. */
function chunkKey(chunk: ChunkRef): string {
  return `${chunk.key}#${chunk.offset}`;
}

/** True when a pending delete of `scope` would remove `key`. */
function covers(scope: string, key: string): boolean {
  const path = scope.startsWith('path:') ? scope.slice('path:'.length) : undefined;
  return path !== undefined && (key === path || key.startsWith(`${path}/`));
}
