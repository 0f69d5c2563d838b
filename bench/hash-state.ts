// What it costs to let any instance take the next chunk of an upload (issue 4): the running
// sha256 is saved to Postgres after every chunk and loaded by whichever instance receives
// the next one. The alternative is to hash nothing while uploading and re-read every byte
// from storage at the closing PUT. This measures both, on this machine, with the code the
// registry runs: the hash-wasm state that RunningDigest saves, and the filesystem driver's
// readChunks for the re-read (an object store adds its network time on top).
//
// Prints a table and writes bench/results/hash-state.json.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FilesystemDriver, type ChunkRef } from '@tidemark/storage';
import { RunningDigest } from '../apps/blob-ingest/src/uploads/running-digest';
import { PseudoRandomBlob } from './pseudo-random-blob';
import { positiveInteger } from './settings';

const RESULTS_FILE = resolve(__dirname, '../../bench/results/hash-state.json');
const MIB = 1024 * 1024;
const BLOB_MIB = positiveInteger(process.env, 'TIDEMARK_BENCH_SIZE_MIB', 1024);
const CHUNK_MIB = positiveInteger(process.env, 'TIDEMARK_BENCH_CHUNK_MIB', 16);
const HANDOVERS = 10_000;

/** Seconds `work` takes, by the monotonic clock. */
async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The time of one handover: load the saved state on a fresh hasher, feed a byte, save. */
async function measureHandover(): Promise<{ stateBytes: number; microseconds: number }> {
  let state = (await RunningDigest.resume(null)).save();
  const seconds = await timed(async () => {
    for (let index = 0; index < HANDOVERS; index++) {
      const digest = await RunningDigest.resume(state);
      digest.tap().end(Buffer.of(index & 0xff));
      state = digest.save();
    }
  });
  return { stateBytes: state.byteLength, microseconds: (seconds / HANDOVERS) * 1e6 };
}

/**
 * Hashes `size` bytes as an upload does: chunk by chunk, with a handover between chunks. The
 * bytes are one random MiB over and over, so only the hashing is timed.
 */
async function measureRunningDigest(size: number, chunkSize: number): Promise<number> {
  const piece = randomBytes(MIB);
  let state: Uint8Array | null = null;
  return timed(async () => {
    for (let offset = 0; offset < size; offset += chunkSize) {
      const digest = await RunningDigest.resume(state);
      const pieces = Math.ceil(Math.min(chunkSize, size - offset) / MIB);
      await pipeline(Readable.from(repeat(piece, pieces)), digest.tap(), devNull());
      state = digest.save();
    }
  });
}

function* repeat(piece: Buffer, times: number): Generator<Buffer> {
  for (let index = 0; index < times; index++) {
    yield piece;
  }
}

/**
 * Writes the blob as upload chunks, then times reading them back through a sha256. The bytes
 * were just written, so they come from the page cache: the best case of a re-read.
 */
async function measureRehash(size: number, chunkSize: number, root: string): Promise<number> {
  const driver = new FilesystemDriver(root);
  const blob = new PseudoRandomBlob(size, 'hash-state');
  const chunks: ChunkRef[] = [];
  for (let offset = 0; offset < size; offset += chunkSize) {
    const length = Math.min(chunkSize, size - offset);
    chunks.push(await driver.writeChunk('bench-upload', offset, blob.stream(length)));
  }
  return timed(async () => {
    await pipeline(await driver.readChunks(chunks), createHash('sha256'));
  });
}

/** A sink that drops what it is given: only the hashing is measured. */
function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function main(): Promise<void> {
  const size = BLOB_MIB * MIB;
  const chunkSize = CHUNK_MIB * MIB;
  const root = await mkdtemp(join(tmpdir(), 'tidemark-hash-state-'));
  try {
    const handover = await measureHandover();
    const runningSeconds = await measureRunningDigest(size, chunkSize);
    const rehashSeconds = await measureRehash(size, chunkSize, root);
    const chunks = Math.ceil(size / chunkSize);
    const result = {
      blobBytes: size,
      chunkBytes: chunkSize,
      chunks,
      savedStateBytes: handover.stateBytes,
      handoverMicroseconds: Number(handover.microseconds.toFixed(1)),
      runningDigestSeconds: Number(runningSeconds.toFixed(2)),
      runningDigestMBps: Number((size / 1e6 / runningSeconds).toFixed(0)),
      handoversShareOfRunningDigest: Number(
        ((chunks * handover.microseconds) / 1e6 / runningSeconds).toExponential(2),
      ),
      rehashAtCommitSeconds: Number(rehashSeconds.toFixed(2)),
      rehashMBps: Number((size / 1e6 / rehashSeconds).toFixed(0)),
    };
    console.table(result);
    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`,
    );
    console.log(`results written to ${RESULTS_FILE}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
