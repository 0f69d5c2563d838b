// Measures the registry's resident memory while a large blob goes through it: pushed in one
// request, pushed in chunks, and pulled back. The registry runs as a child process with its
// own embedded Postgres and a temporary data directory, removed at the end. The blob is
// generated while it streams and never held in memory. Exits 1 when the peak resident
// memory of any phase reaches the limit. With TIDEMARK_BENCH_STORAGE=s3 the registry stores
// blobs in a local S3Proxy started for the run. Settings: see bench/README.md.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { download, send, type HttpResult } from './http-client';
import { MemorySampler } from './memory-sampler';
import { PseudoRandomBlob } from './pseudo-random-blob';
import { RegistryProcess } from '../test/support/registry-process';
import { s3Environment, startS3Server, type S3Server } from '../test/support/s3-server';
import { positiveInteger } from './settings';

const MIB = 1024 * 1024;
const MB = 1_000_000;
const REPOSITORY = 'bench/upload-memory';
const SEED = 'tidemark upload-memory bench';
const PROGRESS_INTERVAL_MS = 5_000;
const RESULTS_DIR = resolve(__dirname, '../../bench/results');

interface Settings {
  readonly sizeBytes: number;
  readonly chunkBytes: number;
  readonly port: number;
  readonly postgresPort: number;
  readonly maxRssMb: number;
  readonly storage: 'filesystem' | 's3';
}

/** One measured phase: how much went through, how long it took, the registry's peak RSS. */
interface PhaseResult {
  readonly mode: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly peakRssBytes: number;
}

/** What a phase needs: the registry, and the blob with the digest it must come out as. */
interface PhaseContext {
  readonly registry: RegistryProcess;
  readonly digest: string;
  readonly settings: Settings;
}

function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const number = (name: string, fallback: number): number => positiveInteger(env, name, fallback);
  return {
    sizeBytes: number('TIDEMARK_BENCH_SIZE_MIB', 2048) * MIB,
    chunkBytes: number('TIDEMARK_BENCH_CHUNK_MIB', 64) * MIB,
    port: number('TIDEMARK_BENCH_PORT', 5350),
    postgresPort: number('TIDEMARK_BENCH_PG_PORT', 54350),
    maxRssMb: number('TIDEMARK_BENCH_MAX_RSS_MB', 300),
    storage: storageOf(env.TIDEMARK_BENCH_STORAGE ?? 'filesystem'),
  };
}

function storageOf(value: string): Settings['storage'] {
  if (value !== 'filesystem' && value !== 's3') {
    throw new Error('TIDEMARK_BENCH_STORAGE must be filesystem or s3');
  }
  return value;
}

function expectStatus(result: HttpResult, expected: number, step: string): void {
  if (result.status !== expected) {
    throw new Error(
      `${step}: expected ${expected}, got ${result.status}: ${result.body.slice(0, 500)}`,
    );
  }
}

function locationOf(result: HttpResult, base: string): URL {
  const location = result.headers.location;
  if (location === undefined) {
    throw new Error(`no Location in a ${result.status} response`);
  }
  return new URL(location, base);
}

async function startUpload(registry: RegistryProcess): Promise<URL> {
  const url = new URL(`/v2/${REPOSITORY}/blobs/uploads/`, registry.url);
  const started = await send({ method: 'POST', url, headers: { 'Content-Length': 0 } });
  expectStatus(started, 202, 'POST upload');
  return locationOf(started, registry.url);
}

async function closeUpload(
  context: PhaseContext,
  location: URL,
  blob?: PseudoRandomBlob,
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', context.digest);
  const length = blob?.size ?? 0;
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': length };
  const closed = await send({ method: 'PUT', url, headers, body: blob?.stream(length) });
  expectStatus(closed, 201, 'PUT upload');
}

function checkDigest(blob: PseudoRandomBlob, expected: string): void {
  const sent = blob.digest();
  if (sent !== expected) {
    throw new Error(`the generator is not deterministic: sent ${sent}, expected ${expected}`);
  }
}

/** POST, then one PUT carrying the whole blob. */
async function pushMonolithic(context: PhaseContext, blob: PseudoRandomBlob): Promise<number> {
  const location = await startUpload(context.registry);
  await closeUpload(context, location, blob);
  checkDigest(blob, context.digest);
  return blob.size;
}

/** POST, one PATCH per chunk with its Content-Range, then a PUT without a body. */
async function pushChunked(context: PhaseContext, blob: PseudoRandomBlob): Promise<number> {
  let location = await startUpload(context.registry);
  for (let start = 0; start < blob.size; start += context.settings.chunkBytes) {
    const length = Math.min(context.settings.chunkBytes, blob.size - start);
    const headers = {
      'Content-Type': 'application/octet-stream',
      'Content-Length': length,
      'Content-Range': `${start}-${start + length - 1}`,
    };
    const written = await send({
      method: 'PATCH',
      url: location,
      headers,
      body: blob.stream(length),
    });
    expectStatus(written, 202, `PATCH ${headers['Content-Range']}`);
    location = locationOf(written, context.registry.url);
  }
  await closeUpload(context, location);
  checkDigest(blob, context.digest);
  return blob.size;
}

/** A streamed GET whose bytes go through a sha256 and are dropped. */
async function pull(context: PhaseContext, progress: { bytes: number }): Promise<number> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(piece: Buffer, _encoding, done) {
      hash.update(piece);
      progress.bytes += piece.length;
      done();
    },
  });
  const url = new URL(`/v2/${REPOSITORY}/blobs/${context.digest}`, context.registry.url);
  const status = await download(url, sink);
  if (status !== 200) {
    throw new Error(`GET blob: expected 200, got ${status}`);
  }
  const received = `sha256:${hash.digest('hex')}`;
  if (received !== context.digest || progress.bytes !== context.settings.sizeBytes) {
    throw new Error(`GET blob returned ${progress.bytes} bytes with digest ${received}`);
  }
  return progress.bytes;
}

/** Runs one phase while sampling the registry's memory, printing progress as it goes. */
async function measure(
  mode: string,
  sampler: MemorySampler,
  work: { run: () => Promise<number>; bytesSoFar: () => number },
): Promise<PhaseResult> {
  const isPeakReset = sampler.start();
  const startedAt = performance.now();
  const reporter = setInterval(() => {
    const seconds = (performance.now() - startedAt) / 1000;
    const bytes = work.bytesSoFar();
    const line = `${mode}: ${(bytes / MIB).toFixed(0)} MiB in ${seconds.toFixed(1)} s`;
    console.log(
      `${line}, ${(bytes / MB / seconds).toFixed(0)} MB/s, RSS ${(sampler.highest / MB).toFixed(0)} MB`,
    );
  }, PROGRESS_INTERVAL_MS);
  try {
    const bytes = await work.run();
    const seconds = (performance.now() - startedAt) / 1000;
    return { mode: isPeakReset ? mode : `${mode}*`, bytes, seconds, peakRssBytes: sampler.stop() };
  } catch (error) {
    sampler.stop();
    throw error;
  } finally {
    clearInterval(reporter);
  }
}

async function runPhases(context: PhaseContext): Promise<PhaseResult[]> {
  const sampler = new MemorySampler(context.registry.pid);
  const idle = sampler.read();
  console.log(
    `registry pid ${context.registry.pid}: RSS ${(idle.rssBytes / MB).toFixed(1)} MB after start`,
  );
  const results: PhaseResult[] = [];
  const monolithic = new PseudoRandomBlob(context.settings.sizeBytes, SEED);
  results.push(
    await measure('monolithic', sampler, {
      run: () => pushMonolithic(context, monolithic),
      bytesSoFar: () => monolithic.produced,
    }),
  );
  const chunked = new PseudoRandomBlob(context.settings.sizeBytes, SEED);
  results.push(
    await measure('chunked', sampler, {
      run: () => pushChunked(context, chunked),
      bytesSoFar: () => chunked.produced,
    }),
  );
  const progress = { bytes: 0 };
  results.push(
    await measure('pull', sampler, {
      run: () => pull(context, progress),
      bytesSoFar: () => progress.bytes,
    }),
  );
  return results;
}

function printTable(results: PhaseResult[], settings: Settings): void {
  const rows = [
    ['mode', 'bytes', 'seconds', 'MB/s', 'peak RSS MB'],
    ...results.map((result) => [
      result.mode,
      String(result.bytes),
      result.seconds.toFixed(2),
      (result.bytes / MB / result.seconds).toFixed(1),
      (result.peakRssBytes / MB).toFixed(1),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const format = (row: string[]): string =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ');
  console.log(
    `\nstorage ${settings.storage}; chunk size ${settings.chunkBytes / MIB} MiB; MB = 10^6 bytes`,
  );
  console.log(rows.map(format).join('\n'));
  if (results.some((result) => result.mode.endsWith('*'))) {
    console.log('* the peak could not be reset; it includes everything since the registry started');
  }
}

async function main(): Promise<number> {
  const settings = readSettings();
  console.log(`generating the digest of a ${settings.sizeBytes / MIB} MiB blob`);
  const digest = PseudoRandomBlob.digestOf(settings.sizeBytes, SEED);
  const dataDir = await mkdtemp(join(tmpdir(), 'tidemark-bench-'));
  // As root, the embedded Postgres runs as the `postgres` user, which must reach its directory.
  await chmod(dataDir, 0o755);
  const logFile = `${dataDir}.log`;
  let registry: RegistryProcess | undefined;
  let s3Server: S3Server | undefined;
  let isCompleted = false;
  const cleanUp = async (): Promise<void> => {
    await registry?.stop();
    await s3Server?.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (isCompleted) {
      await rm(logFile, { force: true });
      return;
    }
    // Kept when something failed: it holds the registry's side of the story.
    console.error(`registry log kept: ${logFile}`);
  };
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  try {
    if (settings.storage === 's3') {
      s3Server = await startS3Server();
      console.log(`storing blobs in S3Proxy at ${s3Server.endpoint}`);
    }
    registry = await RegistryProcess.start({
      port: settings.port,
      postgresPort: settings.postgresPort,
      dataDir,
      logFile,
      env: s3Server === undefined ? undefined : s3Environment(s3Server, 'bench/upload-memory'),
    });
    const results = await runPhases({ registry, digest, settings });
    printTable(results, settings);
    await recordResults(results, settings);
    isCompleted = true;
    const peak = Math.max(...results.map((result) => result.peakRssBytes));
    if (peak >= settings.maxRssMb * MB) {
      console.error(
        `peak RSS ${(peak / MB).toFixed(1)} MB reaches the ${settings.maxRssMb} MB limit`,
      );
      return 1;
    }
    return 0;
  } finally {
    await cleanUp();
  }
}

/** Writes the figures to bench/results/upload-memory-<storage>.json, for the record. */
async function recordResults(results: PhaseResult[], settings: Settings): Promise<void> {
  const file = resolve(RESULTS_DIR, `upload-memory-${settings.storage}.json`);
  const record = {
    measuredAt: new Date().toISOString(),
    storage: settings.storage,
    sizeBytes: settings.sizeBytes,
    chunkBytes: settings.chunkBytes,
    maxRssMb: settings.maxRssMb,
    phases: results.map((result) => ({ ...result, peakRssMb: result.peakRssBytes / MB })),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`upload-memory: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
