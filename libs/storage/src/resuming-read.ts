import { Readable } from 'node:stream';
import type { ReadRange } from './storage-driver';

/** Opens `range` of one object; the caller decides how an open is retried. */
export type RangeOpener = (range: ReadRange) => Promise<Readable>;

/** The store's stream ended before the range did, without saying why. */
export class ShortReadError extends Error {
  constructor(expectedEnd: number, reachedEnd: number) {
    super(`stream ended at byte ${reachedEnd}, before byte ${expectedEnd}`);
    this.name = 'ShortReadError';
  }
}

/**
 * Streams `range` of an object whose bytes never change, and carries on across breaks: when
 * the store's stream fails or ends early part-way, the rest of the range is opened again
 * from the first byte not yet passed on, up to `resumes` times in all. The first open is
 * awaited, so a missing object fails before any response has begun.
 *
 * Only for immutable objects (content-addressed blobs): there the spliced stream is, byte
 * for byte, the object. A client that already has the status line cannot be told of a
 * failure except by a broken body, so a store's momentary fault is better absorbed here.
 */
export async function readResuming(
  open: RangeOpener,
  range: ReadRange,
  resumes = 5,
): Promise<Readable> {
  const first = await open(range);
  return Readable.from(carryOn(first, open, range, resumes), { objectMode: false });
}

async function* carryOn(
  first: Readable,
  open: RangeOpener,
  range: ReadRange,
  resumes: number,
): AsyncGenerator<Buffer> {
  let stream = first;
  let next = range.start;
  for (let resumed = 0; ; resumed++) {
    try {
      // for-await destroys the stream when the consumer stops early.
      for await (const piece of stream) {
        next += (piece as Buffer).length;
        yield piece as Buffer;
      }
      if (next > range.end) {
        return;
      }
      throw new ShortReadError(range.end + 1, next);
    } catch (error) {
      stream.destroy();
      // A store can fail a stream after its last byte (a reset instead of a clean end); the
      // range is whole, and asking for the bytes after it would be refused.
      if (next > range.end) {
        return;
      }
      if (resumed >= resumes) {
        throw error;
      }
    }
    stream = await open({ start: next, end: range.end });
  }
}
