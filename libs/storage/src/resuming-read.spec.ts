import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { readResuming, ShortReadError } from './resuming-read';
import type { ReadRange } from './storage-driver';

const OBJECT = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Opens ranges of OBJECT; the stream of open number i delivers `cuts[i]` bytes and then
 * fails (a number) or ends early ('short'), later opens deliver the whole range.
 */
function flakyStore(cuts: readonly (number | 'short')[]) {
  const opened: ReadRange[] = [];
  const open = async (range: ReadRange): Promise<Readable> => {
    const cut = cuts[opened.length];
    opened.push(range);
    const bytes = Buffer.from(OBJECT.slice(range.start, range.end + 1));
    if (cut === undefined) {
      return Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]);
    }
    const count = cut === 'short' ? 4 : cut;
    async function* breaking(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, count);
      if (cut !== 'short') {
        throw new Error('connection reset');
      }
    }
    return Readable.from(breaking(), { objectMode: false });
  };
  return { open, opened };
}

describe(readResuming.name, () => {
  it('passes an unbroken stream through with one open', async () => {
    const store = flakyStore([]);
    const stream = await readResuming(store.open, { start: 0, end: OBJECT.length - 1 });
    assert.equal(await text(stream), OBJECT);
    assert.equal(store.opened.length, 1);
  });

  it('reopens from the first byte not yet passed on after a break, and after a short end', async () => {
    const store = flakyStore([5, 'short', 0]);
    const stream = await readResuming(store.open, { start: 2, end: 20 });
    assert.equal(await text(stream), OBJECT.slice(2, 21));
    assert.deepEqual(store.opened, [
      { start: 2, end: 20 },
      { start: 7, end: 20 },
      { start: 11, end: 20 },
      { start: 11, end: 20 },
    ]);
  });

  it('ends without reopening when the stream fails after its last byte', async () => {
    const store = flakyStore([OBJECT.length]);
    const stream = await readResuming(store.open, { start: 0, end: OBJECT.length - 1 });
    assert.equal(await text(stream), OBJECT);
    assert.equal(store.opened.length, 1);
  });

  it('fails the stream with the last error once the resumes are used up', async () => {
    const store = flakyStore([1, 1, 1]);
    const stream = await readResuming(store.open, { start: 0, end: 9 }, 2);
    await assert.rejects(text(stream), /connection reset/);
    assert.equal(store.opened.length, 3);
  });

  it('reports a stream that keeps ending early as a short read', async () => {
    const store = flakyStore(['short', 'short']);
    const stream = await readResuming(store.open, { start: 0, end: 9 }, 1);
    await assert.rejects(text(stream), ShortReadError);
  });

  it('fails before streaming when the first open fails', async () => {
    const open = async (): Promise<Readable> => {
      throw new Error('no such object');
    };
    await assert.rejects(readResuming(open, { start: 0, end: 9 }), /no such object/);
  });
});
