import { PathNotFoundError, StorageUnavailableError } from './storage-errors';

/** The S3 driver's name, for logs and errors. */
export const S3_DRIVER_NAME = 's3';

/** The HTTP status of an SDK error, when the server answered. */
export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * Translates an SDK error about `path` into the driver errors the registry handles: an absent
 * object becomes PathNotFoundError, a failure that may pass when retried (5xx, throttling, a
 * dropped connection) StorageUnavailableError; anything else stays as it is.
 */
export function toDriverError(error: unknown, path: string): unknown {
  if (isNotFound(error)) {
    return new PathNotFoundError(S3_DRIVER_NAME, path, { cause: error });
  }
  if (isRetryable(error)) {
    const reason = describeBucketError(error) || 'request failed';
    return new StorageUnavailableError(S3_DRIVER_NAME, path, reason, { cause: error });
  }
  return error;
}

// Connection failures Node reports; the request may well succeed on a fresh connection.
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Whether a failed request may succeed when sent again: a 5xx, throttling, a timeout or a
 * dropped connection. Not when the request is at fault, and not for an error that never
 * reached the store (a bug here is not cured by sending again).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) {
    return true;
  }
  const status = statusOf(error);
  if (status !== undefined) {
    return status >= 500 || status === 408 || status === 429;
  }
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return (
    (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout'
  );
}

/** Says in a few words why a bucket did not answer, for an operator reading a start-up error. */
export function describeBucketError(error: unknown): string {
  const status = statusOf(error);
  if (status === 404) {
    return 'no such bucket';
  }
  if (status === 403) {
    return 'access denied (check the credentials and the bucket policy)';
  }
  const { name, message } = error as { name?: string; message?: string };
  const parts = [status === undefined ? undefined : `HTTP ${status}`, name, message];
  return parts.filter(Boolean).join(': ');
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  // A missing bucket is a broken configuration, not a missing object.
  if (name === 'NoSuchBucket') {
    return false;
  }
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}
