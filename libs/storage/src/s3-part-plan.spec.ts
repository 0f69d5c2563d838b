import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { planParts, type ChunkSlice, type PartLimits, type PlannedPart } from './s3-part-plan';
import type { ChunkRef } from './storage-driver';

const LIMITS: PartLimits = { minimumPartSize: 5, partSize: 8, maxParts: 10_000 };

/** Chunks of the given sizes, laid end to end, each under its own key `c<index>`. */
function chunksOf(...sizes: number[]): ChunkRef[] {
  let offset = 0;
  return sizes.map((size, index) => {
    const chunk = { key: `c${index}`, offset, size };
    offset += size;
    return chunk;
  });
}

/** The parts in a short notation: `copy c0@0+8`, `upload c1@0+2 c2@0+3`. */
function describeParts(parts: readonly PlannedPart[]): string[] {
  const slice = (part: ChunkSlice): string => `${part.key}@${part.start}+${part.size}`;
  return parts.map((part) =>
    part.kind === 'copy'
      ? `copy ${slice(part.slice)}`
      : `upload ${part.slices.map(slice).join(' ')}`,
  );
}

/** Every byte of the chunks, as `key@position`, in the order the parts put them. */
function bytesOfParts(parts: readonly PlannedPart[]): string[] {
  const slices = parts.flatMap((part) => (part.kind === 'copy' ? [part.slice] : part.slices));
  return slices.flatMap((slice) =>
    Array.from({ length: slice.size }, (_, index) => `${slice.key}@${slice.start + index}`),
  );
}

function bytesOfChunks(chunks: readonly ChunkRef[]): string[] {
  return chunks.flatMap((chunk) =>
    Array.from({ length: chunk.size }, (_, index) => `${chunk.key}@${index}`),
  );
}

function sizeOf(part: PlannedPart): number {
  return part.kind === 'copy' ? part.slice.size : part.size;
}

/** Asserts the rules S3 sets on the parts of one upload, and that they hold every byte once. */
function assertValidPlan(
  chunks: readonly ChunkRef[],
  parts: readonly PlannedPart[],
  limits: PartLimits,
): void {
  assert.deepEqual(bytesOfParts(parts), bytesOfChunks(chunks));
  parts.forEach((part, index) => {
    const size = sizeOf(part);
    assert.ok(size <= limits.partSize, `part ${index + 1} has ${size} bytes, over the part size`);
    if (index < parts.length - 1) {
      assert.ok(size >= limits.minimumPartSize, `part ${index + 1} has only ${size} bytes`);
    }
    if (part.kind === 'upload') {
      assert.equal(
        part.size,
        part.slices.reduce((total, slice) => total + slice.size, 0),
      );
    }
  });
}

/** A small deterministic generator, so a failing case can be replayed. */
function randomSizes(seed: number, count: number, largest: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % (largest + 1);
  });
}

describe('planParts', () => {
  it('copies a chunk of exactly the minimum as one part', () => {
    assert.deepEqual(describeParts(planParts(chunksOf(5), LIMITS)), ['copy c0@0+5']);
  });

  it('splits a chunk larger than the part size into ranged copies, and streams a short tail', () => {
    const parts = planParts(chunksOf(19), LIMITS);

    assert.deepEqual(describeParts(parts), ['copy c0@0+8', 'copy c0@8+8', 'upload c0@16+3']);
  });

  it('copies the tail of a large chunk when it is long enough to be a part', () => {
    const parts = planParts(chunksOf(22), LIMITS);

    assert.deepEqual(describeParts(parts), ['copy c0@0+8', 'copy c0@8+8', 'copy c0@16+6']);
  });

  it('streams runs of small chunks together into parts of at most the part size', () => {
    const parts = planParts(chunksOf(3, 3, 3, 3, 1), LIMITS);

    assert.deepEqual(describeParts(parts), [
      'upload c0@0+3 c1@0+3 c2@0+2',
      'upload c2@2+1 c3@0+3 c4@0+1',
    ]);
  });

  it('tops a short run up to the minimum from the head of a large chunk, then copies the rest', () => {
    const parts = planParts(chunksOf(2, 20), LIMITS);

    assert.deepEqual(describeParts(parts), [
      'upload c0@0+2 c1@0+3',
      'copy c1@3+8',
      'copy c1@11+8',
      'upload c1@19+1',
    ]);
  });

  it('streams the tail of a large chunk together with the small chunks after it', () => {
    const parts = planParts(chunksOf(10, 1, 1), LIMITS);

    assert.deepEqual(describeParts(parts), ['copy c0@0+8', 'upload c0@8+2 c1@0+1 c2@0+1']);
  });

  it('leaves out chunks of no bytes', () => {
    const parts = planParts(chunksOf(0, 6, 0, 2, 0), LIMITS);

    assert.deepEqual(describeParts(parts), ['copy c1@0+6', 'upload c3@0+2']);
  });

  it('keeps every part but the last at the minimum or more, whatever the chunk sizes', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const chunks = chunksOf(...randomSizes(seed, 1 + (seed % 12), 30));
      const parts = planParts(chunks, LIMITS);

      assertValidPlan(chunks, parts, LIMITS);
    }
  });

  it('keeps the rules when the part size equals the minimum', () => {
    const limits = { ...LIMITS, minimumPartSize: 4, partSize: 4 };
    for (let seed = 1; seed <= 100; seed++) {
      const chunks = chunksOf(...randomSizes(seed, 8, 13));

      assertValidPlan(chunks, planParts(chunks, limits), limits);
    }
  });

  it('plans more than 1000 parts, with a lowered minimum, as field case F05 needs', () => {
    const limits = { minimumPartSize: 16, partSize: 16, maxParts: 10_000 };
    const chunks = chunksOf(700 * 16, ...Array.from({ length: 900 }, () => 8), 3 * 16 + 7);

    const parts = planParts(chunks, limits);

    assert.equal(parts.length, 700 + 450 + 4);
    assertValidPlan(chunks, parts, limits);
  });

  it('streams every byte in full parts when copying would need more parts than allowed', () => {
    const limits = { ...LIMITS, maxParts: 3 };
    const chunks = chunksOf(6, 6, 6, 1);

    const parts = planParts(chunks, limits);

    assert.deepEqual(describeParts(parts), [
      'upload c0@0+6 c1@0+2',
      'upload c1@2+4 c2@0+4',
      'upload c2@4+2 c3@0+1',
    ]);
    assert.deepEqual(bytesOfParts(parts), bytesOfChunks(chunks));
    assert.equal(planParts(chunksOf(8, 8, 8), limits).length, 3);
  });

  it('refuses chunks that need more parts than allowed even when streamed', () => {
    const limits = { ...LIMITS, maxParts: 3 };

    assert.throws(() => planParts(chunksOf(8, 8, 8, 1), limits), /more than the 3/);
  });
});
