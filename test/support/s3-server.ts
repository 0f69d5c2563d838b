import { ConfigSchema, type TidemarkConfig } from '@tidemark/config';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './free-port';
import { findInstalledJars } from './installed-jars';
import { JavaProcess, QUICK_START_JVM_OPTIONS } from './java-process';
import { readLogTail } from './log-tail';

/**
 * An S3-compatible server for one suite, with one bucket ready to use. Clients must use
 * path-style addressing (`forcePathStyle: true` in @aws-sdk/client-s3): the endpoint is
 * an IP address, so there is no host name to put the bucket in.
 */
export interface S3Server {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** Region to sign with; the local server accepts any. */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A bucket that exists; on a local server it is also empty and the only one. */
  readonly bucket: string;
  /** Shuts a local server down and deletes its data; does nothing for an external one. Idempotent. */
  stop(): Promise<void>;
}

/** The `TIDEMARK_*` settings that put a registry process on `server`'s bucket, under `prefix`. */
export function s3Environment(server: S3Server, prefix: string): Record<string, string> {
  return {
    TIDEMARK_STORAGE_DRIVER: 's3',
    TIDEMARK_S3_ENDPOINT: server.endpoint,
    TIDEMARK_S3_REGION: server.region,
    TIDEMARK_S3_BUCKET: server.bucket,
    TIDEMARK_S3_PREFIX: prefix,
    TIDEMARK_S3_FORCE_PATH_STYLE: 'true',
    TIDEMARK_S3_ACCESS_KEY_ID: server.accessKeyId,
    TIDEMARK_S3_SECRET_ACCESS_KEY: server.secretAccessKey,
  };
}

/**
 * The storage settings of a registry started in this process on `server`'s bucket, under a
 * fresh prefix beginning with `prefix`; `s3` overrides or adds S3 settings (part size,
 * redirects, another endpoint).
 */
export function s3Storage(
  server: S3Server,
  prefix: string,
  s3: Record<string, unknown> = {},
): TidemarkConfig['storage'] {
  return ConfigSchema.shape.storage.parse({
    driver: 's3',
    s3: {
      endpoint: server.endpoint,
      region: server.region,
      bucket: server.bucket,
      prefix: `${prefix}/${randomUUID()}`,
      forcePathStyle: true,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      ...s3,
    },
  });
}

const EXTERNAL_ENDPOINT_VARIABLE = 'TIDEMARK_TEST_S3_ENDPOINT';
const S3PROXY_MAIN_CLASS = 'org.gaul.s3proxy.Main';
// The heap bounds S3Proxy's buffering of a signed single-part body (128 MiB at most).
const JVM_OPTIONS = [
  '-Xmx512m',
  ...QUICK_START_JVM_OPTIONS,
  // Logback otherwise prints its own configuration steps into the log at every start.
  '-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener',
];
const LOCAL_REGION = 'us-east-1';
const LOCAL_ACCESS_KEY_ID = 'tidemark-test';
const LOCAL_BUCKET = 'tidemark-test';
const START_TIMEOUT_MS = 60_000;
const SHUTDOWN_GRACE_MS = 10_000;
// A port taken by someone else between our probe and the JVM's bind is retried on another.
const START_ATTEMPTS = 3;

interface LocalServerLayout {
  /** Temporary folder: `s3proxy.properties`, `s3proxy.log` and the blobstore in `data/`. */
  readonly dir: string;
  readonly port: number;
  readonly secretAccessKey: string;
}

/**
 * Starts a real S3Proxy (S3 API over a filesystem blobstore) on a free port of 127.0.0.1
 * from the jar scripts/install-s3.sh caches, with a fresh temporary data folder, and
 * resolves once it has answered a signed request by creating the bucket.
 *
 * When TIDEMARK_TEST_S3_ENDPOINT is set (e.g. by a run that starts MinIO in a container),
 * returns that server instead, with credentials from TIDEMARK_TEST_S3_ACCESS_KEY_ID and
 * TIDEMARK_TEST_S3_SECRET_ACCESS_KEY, the bucket TIDEMARK_TEST_S3_BUCKET (created when
 * missing; a fresh name when unset) and TIDEMARK_TEST_S3_REGION (default us-east-1).
 */
export async function startS3Server(): Promise<S3Server> {
  const externalEndpoint = process.env[EXTERNAL_ENDPOINT_VARIABLE];
  if (externalEndpoint) {
    return useExternalServer(externalEndpoint);
  }
  const libsDir = findInstalledJars('s3', 'S3Proxy jar');
  for (let attempt = 1; ; attempt++) {
    const layout = await createLayout();
    try {
      return await LocalS3Server.start(layout, libsDir);
    } catch (error) {
      await rm(layout.dir, { recursive: true, force: true });
      if (!(error instanceof PortTakenError) || attempt === START_ATTEMPTS) {
        throw error;
      }
    }
  }
}

// Plain fields rather than getters, so `{ ...server, secretAccessKey: 'wrong' }` works.
class LocalS3Server implements S3Server {
  readonly endpoint: string;
  readonly region = LOCAL_REGION;
  readonly accessKeyId = LOCAL_ACCESS_KEY_ID;
  readonly secretAccessKey: string;
  readonly bucket = LOCAL_BUCKET;
  private isStopped = false;

  private constructor(
    private readonly layout: LocalServerLayout,
    private readonly server: JavaProcess,
  ) {
    this.endpoint = `http://127.0.0.1:${layout.port}`;
    this.secretAccessKey = layout.secretAccessKey;
  }

  static async start(layout: LocalServerLayout, libsDir: string): Promise<LocalS3Server> {
    const server = JavaProcess.start({
      libsDir,
      jvmOptions: JVM_OPTIONS,
      mainClass: S3PROXY_MAIN_CLASS,
      args: ['--properties', propertiesPath(layout)],
      outputFile: logPath(layout),
    });
    const started = new LocalS3Server(layout, server);
    try {
      await waitUntilBucketCreated(layout, server, started);
      return started;
    } catch (error) {
      await server.kill();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.isStopped) {
      return;
    }
    this.isStopped = true;
    await this.server.terminate(SHUTDOWN_GRACE_MS);
    await rm(this.layout.dir, { recursive: true, force: true });
  }
}

/** The JVM could not bind the port it was given; a retry on another port may succeed. */
class PortTakenError extends Error {}

async function useExternalServer(endpoint: string): Promise<S3Server> {
  const server: S3Server = {
    endpoint,
    region: process.env.TIDEMARK_TEST_S3_REGION || LOCAL_REGION,
    accessKeyId: requireVariable('TIDEMARK_TEST_S3_ACCESS_KEY_ID'),
    secretAccessKey: requireVariable('TIDEMARK_TEST_S3_SECRET_ACCESS_KEY'),
    bucket:
      process.env.TIDEMARK_TEST_S3_BUCKET || `tidemark-test-${randomBytes(6).toString('hex')}`,
    stop: () => Promise.resolve(),
  };
  const client = probeClient(server);
  try {
    await ensureBucket(client, server.bucket);
  } finally {
    client.destroy();
  }
  return server;
}

function requireVariable(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${EXTERNAL_ENDPOINT_VARIABLE} is set, so ${name} must be set too`);
  }
  return value;
}

async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (httpStatusOf(error) !== 404) {
      throw error;
    }
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

async function createLayout(): Promise<LocalServerLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'tidemark-s3-'));
  const layout = {
    dir,
    port: await freePort(),
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  await mkdir(dataPath(layout));
  await writeFile(propertiesPath(layout), renderProperties(layout));
  return layout;
}

// Keys: https://github.com/gaul/s3proxy (README "Usage without Docker") and
// S3ProxyConstants. aws-v2-or-v4 accepts SigV4 headers, SigV4 presigned URLs and the
// aws-chunked streaming bodies the SDK sends, and checks every signature.
function renderProperties(layout: LocalServerLayout): string {
  const properties = {
    's3proxy.endpoint': `http://127.0.0.1:${layout.port}`,
    's3proxy.authorization': 'aws-v2-or-v4',
    's3proxy.identity': LOCAL_ACCESS_KEY_ID,
    's3proxy.credential': layout.secretAccessKey,
    'jclouds.provider': 'filesystem-nio2',
    'jclouds.filesystem.basedir': dataPath(layout),
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

async function waitUntilBucketCreated(
  layout: LocalServerLayout,
  jvm: JavaProcess,
  server: S3Server,
): Promise<void> {
  const client = probeClient(server);
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (!jvm.isRunning) {
        throw await exitedWhileStarting(layout);
      }
      if (await tryCreateBucket(client, server.bucket)) {
        return;
      }
      await delay(100);
    }
  } finally {
    client.destroy();
  }
  throw new Error(`S3Proxy did not answer within ${START_TIMEOUT_MS} ms\n${await logTail(layout)}`);
}

// False while nothing listens yet (or it answers 5xx); a 4xx answer fails the start at once.
async function tryCreateBucket(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status !== undefined && status < 500) {
      throw new Error('S3Proxy refused to create the test bucket', { cause: error });
    }
    return false;
  }
}

async function exitedWhileStarting(layout: LocalServerLayout): Promise<Error> {
  const tail = await logTail(layout);
  if (/BindException|Address already in use|Failed to bind/.test(tail)) {
    return new PortTakenError(`S3Proxy could not bind 127.0.0.1:${layout.port}`);
  }
  return new Error(`S3Proxy exited while starting\n${tail}`);
}

function propertiesPath(layout: LocalServerLayout): string {
  return join(layout.dir, 's3proxy.properties');
}

function dataPath(layout: LocalServerLayout): string {
  return join(layout.dir, 'data');
}

function logPath(layout: LocalServerLayout): string {
  return join(layout.dir, 's3proxy.log');
}

function logTail(layout: LocalServerLayout): Promise<string> {
  return readLogTail(logPath(layout));
}

function probeClient(server: S3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 },
  });
}

function httpStatusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return metadata?.httpStatusCode;
}
