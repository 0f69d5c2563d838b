import { S3Client } from '@aws-sdk/client-s3';
import { S3Driver, type ChunkRef, type S3DriverOptions } from '@tidemark/storage';
import type { S3Server } from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;
/** The smallest part S3 (and S3Proxy, which enforces it) accepts but for the last. */
export const MINIMUM_PART_SIZE = 5 * MiB;
const STREAM_SLICE = 64 * 1024;

/**
 * Drivers on one S3 server, each under a prefix of its own, so tests can list and count
 * what one driver left without seeing the others. `close` destroys them all.
 */
export class S3DriverFactory {
  private readonly drivers: S3Driver[] = [];

  constructor(readonly server: S3Server) {}

  /** A driver under a fresh prefix, with 5 MiB parts unless `options` say otherwise. */
  create(options: Partial<S3DriverOptions> = {}): S3Driver {
    const driver = new S3Driver({ ...this.settings(), ...options });
    this.drivers.push(driver);
    return driver;
  }

  /** Options for a driver on this server: fresh prefix, path-style, 5 MiB parts. */
  settings(): S3DriverOptions & { prefix: string } {
    return {
      endpoint: this.server.endpoint,
      region: this.server.region,
      bucket: this.server.bucket,
      forcePathStyle: true,
      accessKeyId: this.server.accessKeyId,
      secretAccessKey: this.server.secretAccessKey,
      prefix: `s3-driver-spec/${randomUUID()}`,
      partSizeBytes: MINIMUM_PART_SIZE,
    };
  }

  close(): void {
    this.drivers.forEach((driver) => driver.close());
  }
}

/** A plain client on the server, to look at what a driver stored. */
export function rawClient(server: S3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
  });
}

/** Writes `parts` as consecutive chunks of one new upload; returns the upload and chunks. */
export async function writeChunks(
  driver: S3Driver,
  parts: readonly Buffer[],
): Promise<{ uploadId: string; chunks: ChunkRef[] }> {
  const uploadId = randomUUID();
  const chunks: ChunkRef[] = [];
  let offset = 0;
  for (const part of parts) {
    chunks.push(await driver.writeChunk(uploadId, offset, streamOf(part)));
    offset += part.length;
  }
  return { uploadId, chunks };
}

/** Slices a buffer into a stream of 64 KiB pieces, so nothing downstream sees its length. */
export function streamOf(content: Buffer): Readable {
  return Readable.from(
    (function* slices() {
      for (let offset = 0; offset < content.length; offset += STREAM_SLICE) {
        yield content.subarray(offset, offset + STREAM_SLICE);
      }
    })(),
  );
}

export async function readAll(stream: Readable | Promise<Readable>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of await stream) {
    pieces.push(piece as Buffer);
  }
  return Buffer.concat(pieces);
}

/** Compares lengths and digests, so a mismatch reports two hashes and not megabytes. */
export function assertSameBytes(actual: Buffer, expected: Buffer, label?: string): void {
  assert.equal(actual.length, expected.length, `${label ?? ''} length`);
  assert.equal(sha256(actual), sha256(expected), `${label ?? ''} sha256`);
}

export function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** The number of parts an S3 multipart ETag (`"…-N"`) names, or 1 for a plain one. */
export function partCountOf(etag: string | undefined): number {
  const match = /-(\d+)"?$/.exec(etag ?? '');
  return match === null ? 1 : Number(match[1]);
}

export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
