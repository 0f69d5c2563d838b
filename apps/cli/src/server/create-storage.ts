import type { TidemarkConfig } from '@tidemark/config';
import {
  ConsistencyFaultDriver,
  FilesystemDriver,
  parseConsistencyFaults,
  S3Driver,
  type S3DriverOptions,
  type StorageDriver,
} from '@tidemark/storage';
import { join } from 'node:path';
import type { Logger } from 'pino';

const BUCKET_CHECK_TIMEOUT_MS = 10_000;
// A multipart upload this old belongs to a write whose process died; S3 keeps it until aborted.
const STALE_MULTIPART_UPLOAD_MS = 24 * 60 * 60 * 1000;

/**
 * Builds the configured storage driver, wrapped in the consistency-fault driver when
 * `storage.faults` is set. Throws when the fault settings are invalid.
 */
export function createStorage(config: TidemarkConfig): StorageDriver {
  const driver = createDriver(config);
  const { faults } = config.storage;
  return faults === undefined
    ? driver
    : new ConsistencyFaultDriver(driver, parseConsistencyFaults(faults));
}

function createDriver(config: TidemarkConfig): StorageDriver {
  switch (config.storage.driver) {
    case 'filesystem':
      return new FilesystemDriver(config.storage.root ?? join(config.dataDir, 'storage'));
    case 's3':
      return new S3Driver(s3DriverOptions(config));
  }
}

/**
 * Checks at start-up that the configured storage answers, and tidies what dead processes
 * left there. For S3: a HeadBucket, which throws when the bucket cannot be reached, so a
 * wrong endpoint, bucket or credential stops start-up instead of the first push; then
 * `abortStaleUploads`. A failed tidy-up is logged, not fatal.
 */
export async function checkStorage(
  config: TidemarkConfig,
  log: Logger,
  now = new Date(),
): Promise<void> {
  if (config.storage.driver !== 's3') {
    return;
  }
  const driver = new S3Driver(s3DriverOptions(config));
  try {
    await driver.checkBucket(BUCKET_CHECK_TIMEOUT_MS);
    await abortStaleUploads(driver, log, now);
  } finally {
    driver.close();
  }
}

/** When and against which clock `scheduleStorageTidyUp` runs; tests pass their own. */
export interface TidyUpSchedule {
  readonly intervalMs: number;
  readonly now: () => Date;
}

const EVERY_SIX_HOURS: TidyUpSchedule = { intervalMs: 6 * 60 * 60 * 1000, now: () => new Date() };

/**
 * Repeats the tidy-up of `checkStorage` while the process runs, so a registry that stays up
 * for months does not keep the multipart uploads of processes that died meanwhile. Safe on
 * every instance at once. Returns the function that stops it; the timer never keeps the
 * process alive.
 */
export function scheduleStorageTidyUp(
  config: TidemarkConfig,
  log: Logger,
  schedule = EVERY_SIX_HOURS,
): () => void {
  if (config.storage.driver !== 's3') {
    return () => undefined;
  }
  const driver = new S3Driver(s3DriverOptions(config));
  const timer = setInterval(
    () => void abortStaleUploads(driver, log, schedule.now()),
    schedule.intervalMs,
  );
  timer.unref();
  return () => {
    clearInterval(timer);
    driver.close();
  };
}

/** Aborts multipart uploads begun more than a day before `now`; logs, never throws. */
async function abortStaleUploads(driver: S3Driver, log: Logger, now: Date): Promise<void> {
  const olderThan = new Date(now.getTime() - STALE_MULTIPART_UPLOAD_MS);
  const aborted = await driver.abortStaleMultipartUploads(olderThan).catch((error: unknown) => {
    log.warn({ err: error }, 'stale multipart uploads not aborted');
    return 0;
  });
  if (aborted > 0) {
    log.info({ aborted }, 'stale multipart uploads aborted');
  }
}

function s3DriverOptions(config: TidemarkConfig): S3DriverOptions {
  const { bucket, ...settings } = config.storage.s3;
  if (bucket === undefined) {
    throw new Error('the s3 storage driver needs a bucket (storage.s3.bucket, TIDEMARK_S3_BUCKET)');
  }
  return { ...settings, bucket };
}
