import { createSHA256, type IHasher } from 'hash-wasm';
import { Transform } from 'node:stream';

/**
 * The sha256 of an upload's bytes so far, whose state can be saved to Postgres after each
 * chunk and loaded by whichever instance receives the next one.
 */
export class RunningDigest {
  private constructor(private readonly hasher: IHasher) {}

  /** Resumes from a saved state, or starts fresh when there is none. */
  static async resume(state: Uint8Array | null): Promise<RunningDigest> {
    const hasher = await createSHA256();
    if (state === null) {
      hasher.init();
    } else {
      hasher.load(state);
    }
    return new RunningDigest(hasher);
  }

  /** Returns a pass-through stream that feeds every byte into the digest. */
  tap(): Transform {
    const hasher = this.hasher;
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hasher.update(chunk);
        done(null, chunk);
      },
    });
  }

  /** Returns the state to store; the digest can continue from it. */
  save(): Uint8Array {
    return this.hasher.save();
  }

  /** Returns the `sha256:<hex>` digest of everything fed so far. Ends this instance. */
  finish(): string {
    return `sha256:${this.hasher.digest('hex')}`;
  }
}
