import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isRetryable } from './s3-errors';
import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

/** An error as the SDK throws it when the store answered with `status`. */
function answered(status: number): Error {
  return Object.assign(new Error('store said no'), { $metadata: { httpStatusCode: status } });
}

describe(isRetryable.name, () => {
  it('retries what the store may answer differently later: 5xx, 408 and 429', () => {
    for (const status of [500, 502, 503, 408, 429]) {
      assert.equal(isRetryable(answered(status)), true, String(status));
    }
  });

  it('does not retry what the request is at fault for', () => {
    for (const status of [400, 403, 404, 416]) {
      assert.equal(isRetryable(answered(status)), false, String(status));
    }
    assert.equal(isRetryable(new PathNotFoundError('s3', 'blobs/x')), false);
  });

  it('retries dropped connections and timeouts', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    assert.equal(isRetryable(reset), true);
    assert.equal(isRetryable(timeout), true);
    assert.equal(isRetryable(new StorageUnavailableError('s3', 'blobs/x', 'busy')), true);
  });

  it('does not retry an error that never reached the store', () => {
    assert.equal(isRetryable(new TypeError('undefined is not a function')), false);
    assert.equal(isRetryable(new Error('s3: too many parts')), false);
  });
});
