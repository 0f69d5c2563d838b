import { Readable } from 'node:stream';

/**
 * One stream of the bytes of `sources`, in order, each opened only when the one before has
 * ended. An error of any source ends the stream with that error; destroying the stream
 * destroys the source being read and opens no more.
 */
export function concatenate(sources: readonly (() => Promise<Readable>)[]): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const open of sources) {
      // for-await destroys the source when the consumer stops early.
      for await (const piece of await open()) {
        yield piece as Buffer;
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
