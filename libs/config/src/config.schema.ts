import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bytes = z.coerce.number().int().positive();

/** Returns true for an IPv4 or IPv6 address, alone or as a CIDR block (`10.0.0.0/8`). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) {
    return false;
  }
  const maxPrefix = version === 4 ? 32 : 128;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
}

/** `true`, `false`, or the proxies' addresses and CIDR blocks, named in the error when wrong. */
const trustedProxies = z
  .union([z.boolean(), z.array(z.string()).min(1)])
  .superRefine((value, context) => {
    const invalid = Array.isArray(value) ? value.filter((entry) => !isAddressOrCidr(entry)) : [];
    for (const entry of invalid) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected true, false or IP addresses and CIDR blocks, got "${entry}"`,
      });
    }
  });

/** Every setting Tidemark reads, with its default. Environment names are in `fromEnv`. */
export const ConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: port.default(5000),
  /** Which app modules this process serves: both (standalone) or one of them. */
  apps: z.enum(['all', 'metadata', 'blob-ingest']).default('all'),
  dataDir: z.string().default('./data'),
  /**
   * Which peers may name the client in `X-Forwarded-For`: none (false), any (true), or the
   * listed proxy addresses and CIDR blocks. Events record the client address this yields.
   */
  trustProxy: trustedProxies.default(false),
  database: z
    .object({
      /** An external Postgres. When absent, an embedded Postgres runs under `dataDir/postgres`. */
      url: z.string().url().optional(),
      embeddedPort: port.default(54329),
      poolSize: z.coerce.number().int().min(2).max(200).default(20),
    })
    .default({}),
  storage: z
    .object({
      driver: z.enum(['filesystem', 's3']).default('filesystem'),
      /** Root of the filesystem driver; defaults to `dataDir/storage`. */
      root: z.string().optional(),
      s3: z
        .object({
          /** An S3-compatible endpoint; absent means AWS itself. */
          endpoint: z.string().url().optional(),
          region: z.string().default('us-east-1'),
          bucket: z.string().optional(),
          /** A key prefix, so one bucket can hold several registries. */
          prefix: z.string().default(''),
          forcePathStyle: z.coerce.boolean().default(false),
          accessKeyId: z.string().optional(),
          secretAccessKey: z.string().optional(),
          /** Size of the parts multipart assembly writes and copies (S3: 5 MiB to 5 GiB). */
          partSizeBytes: z.coerce
            .number()
            .int()
            .min(1)
            .default(64 * 1024 * 1024),
          /** Answer blob GETs with a redirect to a presigned URL instead of the bytes. */
          redirect: z.coerce.boolean().default(false),
          presignExpirySeconds: z.coerce.number().int().min(1).default(900),
        })
        .default({}),
      /**
       * Wrap the driver in the consistency-fault driver with these settings (JSON), to test a
       * deployment against a lagging store. Never set in production.
       */
      faults: z.string().optional(),
    })
    .default({}),
  limits: z
    .object({
      manifestMaxBytes: bytes.default(4 * 1024 * 1024),
    })
    .default({}),
  kafka: z
    .object({
      /** Brokers to carry events to consumers. Absent: consumers read the Postgres log. */
      brokers: z.array(z.string().regex(/^[^\s:,]+:\d+$/, 'expected host:port')).optional(),
      clientId: z.string().default('tidemark'),
      topic: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,249}$/)
        .default('tidemark.events'),
      partitions: z.coerce.number().int().min(1).default(6),
      replicationFactor: z.coerce.number().int().min(1).default(1),
      connectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
    })
    .default({}),
  /**
   * Pauses that let fault tests kill a process at a chosen point: after a consumer of the
   * Postgres log (the Kafka relay included) handled a batch and before its checkpoint moves,
   * and after a Kafka consumer applied a batch and before it commits the offsets. They only
   * slow the pipeline down. Never set in production.
   */
  faultTests: z
    .object({
      pauseBeforeCheckpointMs: z.coerce.number().int().min(0).default(0),
      pauseBeforeCommitMs: z.coerce.number().int().min(0).default(0),
    })
    .default({}),
  /** How long a read waits for storage to show a blob that Postgres says is committed. */
  readAfterWriteWindowMs: z.coerce.number().int().min(0).default(5000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TidemarkConfig = z.infer<typeof ConfigSchema>;
