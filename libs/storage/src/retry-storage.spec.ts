import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { retryStorage } from './retry-storage';
import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

/** A call that fails with `errors` in turn, then answers 'done'; counts its attempts. */
function failingCall(...errors: Error[]): { call: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    call: async () => {
      const error = errors[attempts++];
      if (error !== undefined) {
        throw error;
      }
      return 'done';
    },
    attempts: () => attempts,
  };
}

const unavailable = (): Error => new StorageUnavailableError('test', 'key', 'busy');
const notFound = (): Error => new PathNotFoundError('test', 'key');

describe(retryStorage.name, () => {
  it('retries StorageUnavailableError and returns what the call finally answers', async () => {
    const sut = failingCall(unavailable(), unavailable());
    assert.equal(await retryStorage(sut.call, { notFoundWindowMs: 0 }), 'done');
    assert.equal(sut.attempts(), 3);
  });

  it('throws StorageUnavailableError once the retries are used up', async () => {
    const sut = failingCall(unavailable(), unavailable(), unavailable());
    await assert.rejects(
      retryStorage(sut.call, { notFoundWindowMs: 0, retries: 2 }),
      StorageUnavailableError,
    );
    assert.equal(sut.attempts(), 3);
  });

  it('waits out PathNotFoundError within the window, and throws it after', async () => {
    const late = failingCall(notFound(), notFound());
    assert.equal(await retryStorage(late.call, { notFoundWindowMs: 1000 }), 'done');
    const missing = failingCall(...Array.from({ length: 100 }, notFound));
    const started = Date.now();
    await assert.rejects(retryStorage(missing.call, { notFoundWindowMs: 150 }), PathNotFoundError);
    assert.ok(Date.now() - started >= 150);
  });

  it('throws PathNotFoundError at once when the window is 0, and any other error at once', async () => {
    const missing = failingCall(notFound());
    await assert.rejects(retryStorage(missing.call, { notFoundWindowMs: 0 }), PathNotFoundError);
    const broken = failingCall(new Error('disk on fire'));
    await assert.rejects(retryStorage(broken.call, { notFoundWindowMs: 1000 }), /disk on fire/);
    assert.equal(missing.attempts() + broken.attempts(), 2);
  });

  it('stops repeating once canRepeat says no', async () => {
    const sut = failingCall(unavailable(), unavailable());
    let isRepeatable = true;
    const call = (): Promise<string> => {
      const result = sut.call();
      isRepeatable = false;
      return result;
    };
    const policy = { notFoundWindowMs: 0, canRepeat: () => isRepeatable };
    await assert.rejects(retryStorage(call, policy), StorageUnavailableError);
    assert.equal(sut.attempts(), 1);
  });
});
