import { z } from 'zod';

/** The driver operations a fault can be limited to. */
export const FAULTABLE_OPERATIONS = [
  'stat',
  'read',
  'writeChunk',
  'readChunks',
  'assemble',
  'discardUpload',
  'delete',
] as const;

export type FaultableOperation = (typeof FAULTABLE_OPERATIONS)[number];

const rate = z.number().min(0).max(1);
const milliseconds = z.number().int().min(0);
const operations = z.array(z.enum(FAULTABLE_OPERATIONS)).default([...FAULTABLE_OPERATIONS]);

/**
 * What the consistency-fault driver does wrong, and how often. Every fault is off unless
 * set; `{}` gives a driver that only passes calls through. Unknown keys are refused, so a
 * misspelt fault fails start-up instead of silently testing nothing.
 * `docs/consistency-fault-driver.md` explains each one to operators.
 */
export const ConsistencyFaultsSchema = z
  .object({
    /** Seeds the random draws, so a single-threaded sequence of calls fails the same way again. */
    seed: z.number().int().optional(),
    /** New objects (and new chunks) stay invisible to stat, read, readChunks and assemble. */
    newObjects: z
      .object({
        /** Every request misses an object this long after it was written. */
        lagMs: milliseconds.default(0),
        /** Then, for this long, each request misses it with probability `flapRate`. */
        flapMs: milliseconds.default(0),
        flapRate: rate.default(0.5),
        /**
         * Treat an object this instance sees for the first time, written by someone else,
         * as just written: a second instance on the same store then lags behind the first,
         * as another replica would.
         */
        lagOnFirstSight: z.boolean().default(true),
      })
      .strict()
      .default({}),
    /** After an assemble, stat reports the target's previous size (or absence) this long. */
    staleMetadata: z
      .object({ lagMs: milliseconds.default(0) })
      .strict()
      .default({}),
    /** Deleted objects and discarded uploads stay readable this long. */
    deletes: z
      .object({ lagMs: milliseconds.default(0) })
      .strict()
      .default({}),
    /** Requests that fail at once with StorageUnavailableError, before reaching the store. */
    transientErrors: z
      .object({
        rate: rate.default(0),
        /** Streams from read and readChunks that break part-way with StorageUnavailableError. */
        streamRate: rate.default(0),
        operations,
      })
      .strict()
      .default({}),
    /** Requests that hang for `delayMs` and then fail with StorageUnavailableError. */
    timeouts: z
      .object({
        rate: rate.default(0),
        delayMs: milliseconds.default(1000),
        /** The share of timed-out writes that took effect anyway: the answer was lost. */
        appliedRate: rate.default(0.5),
        operations,
      })
      .strict()
      .default({}),
    /** Writes wait a random time up to this before and after acting, so they finish out of order. */
    reordering: z
      .object({ maxDelayMs: milliseconds.default(0) })
      .strict()
      .default({}),
  })
  .strict();

export type ConsistencyFaults = z.infer<typeof ConsistencyFaultsSchema>;

/**
 * Parses fault settings from JSON (`TIDEMARK_STORAGE_FAULTS`). Throws an error naming every
 * problem when the JSON is malformed or a setting is unknown or out of range.
 */
export function parseConsistencyFaults(json: string): ConsistencyFaults {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch (error) {
    throw new Error(`storage faults: not JSON: ${(error as Error).message}`);
  }
  const result = ConsistencyFaultsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`storage faults: ${problems.join('; ')}`);
  }
  return result.data;
}
