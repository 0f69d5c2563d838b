import { ConfigSchema, type TidemarkConfig } from './config.schema';

/** Reads the configuration from `TIDEMARK_*` environment variables, overridden by `overrides`. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<'host' | 'port' | 'dataDir' | 'apps' | 'databaseUrl', string>> = {},
): TidemarkConfig {
  const input = {
    host: overrides.host ?? env.TIDEMARK_HOST,
    port: overrides.port ?? env.TIDEMARK_PORT,
    apps: overrides.apps ?? env.TIDEMARK_APPS,
    dataDir: overrides.dataDir ?? env.TIDEMARK_DATA_DIR,
    trustProxy: parseTrustProxy(env.TIDEMARK_TRUST_PROXY),
    database: {
      url: overrides.databaseUrl ?? emptyToUndefined(env.TIDEMARK_DATABASE_URL),
      embeddedPort: env.TIDEMARK_EMBEDDED_PG_PORT,
      poolSize: env.TIDEMARK_DATABASE_POOL_SIZE,
    },
    storage: {
      driver: env.TIDEMARK_STORAGE_DRIVER,
      root: env.TIDEMARK_STORAGE_ROOT,
      s3: {
        endpoint: emptyToUndefined(env.TIDEMARK_S3_ENDPOINT),
        region: env.TIDEMARK_S3_REGION,
        bucket: env.TIDEMARK_S3_BUCKET,
        prefix: env.TIDEMARK_S3_PREFIX,
        forcePathStyle:
          env.TIDEMARK_S3_FORCE_PATH_STYLE === undefined
            ? undefined
            : env.TIDEMARK_S3_FORCE_PATH_STYLE === 'true',
        accessKeyId: env.TIDEMARK_S3_ACCESS_KEY_ID,
        secretAccessKey: env.TIDEMARK_S3_SECRET_ACCESS_KEY,
        partSizeBytes: env.TIDEMARK_S3_PART_SIZE_BYTES,
        redirect:
          env.TIDEMARK_S3_REDIRECT === undefined ? undefined : env.TIDEMARK_S3_REDIRECT === 'true',
        presignExpirySeconds: env.TIDEMARK_S3_PRESIGN_EXPIRY_SECONDS,
      },
      faults: emptyToUndefined(env.TIDEMARK_STORAGE_FAULTS),
    },
    limits: { manifestMaxBytes: env.TIDEMARK_MANIFEST_MAX_BYTES },
    kafka: {
      brokers: emptyToUndefined(env.TIDEMARK_KAFKA_BROKERS)
        ?.split(',')
        .map((broker) => broker.trim()),
      clientId: env.TIDEMARK_KAFKA_CLIENT_ID,
      topic: env.TIDEMARK_KAFKA_TOPIC,
      partitions: env.TIDEMARK_KAFKA_PARTITIONS,
      replicationFactor: env.TIDEMARK_KAFKA_REPLICATION_FACTOR,
      connectTimeoutMs: env.TIDEMARK_KAFKA_CONNECT_TIMEOUT_MS,
    },
    faultTests: {
      pauseBeforeCheckpointMs: env.TIDEMARK_TEST_PAUSE_BEFORE_CHECKPOINT_MS,
      pauseBeforeCommitMs: env.TIDEMARK_TEST_PAUSE_BEFORE_COMMIT_MS,
    },
    readAfterWriteWindowMs: env.TIDEMARK_READ_AFTER_WRITE_WINDOW_MS,
    logLevel: env.TIDEMARK_LOG_LEVEL,
  };
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** `true`, `false`, or a comma-separated list of proxy addresses and CIDR blocks. */
function parseTrustProxy(value: string | undefined): boolean | string[] | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  return value.split(',').map((entry) => entry.trim());
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
