import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { ChunkRef } from '@tidemark/storage';
import { startS3Server, type S3Server } from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import {
  assertSameBytes,
  MINIMUM_PART_SIZE,
  partCountOf,
  rawClient,
  readAll,
  S3DriverFactory,
  writeChunks,
} from './s3-driver-fixtures';

// Field case F05 at the storage level: a blob over 5 GiB (S3's limit for one copy) made of
// more than 1000 parts (where a driver that lists parts back loses the rest). S3Proxy
// enforces S3's 5 MiB minimum part size, so the minimum cannot be lowered here; instead the
// chunk list names three 5 MiB chunk objects over and over. Only 15 MiB travel from the
// test, and the server copies the rest; it needs about 11 GB of temporary disk for a
// moment, and a minute or two.

const PARTS = 1030;
// S3Proxy keeps its objects under the temporary directory: about 11 GB for a moment, plus
// room to spare. TIDEMARK_TEST_LARGE_BLOBS=0 skips the test, =1 runs it whatever the disk.
const NEEDED_FREE_BYTES = 20 * 1024 ** 3;
const TIMEOUT = { timeout: 15 * 60_000, skip: whyNotRun() };

/** Why this machine cannot run the test, or false when it can. */
function whyNotRun(): string | false {
  const setting = process.env.TIDEMARK_TEST_LARGE_BLOBS;
  if (setting === '0' || setting === '1') {
    return setting === '0' ? 'TIDEMARK_TEST_LARGE_BLOBS=0' : false;
  }
  const disk = statfsSync(tmpdir());
  const free = disk.bavail * disk.bsize;
  return free >= NEEDED_FREE_BYTES ? false : `only ${free} bytes free in ${tmpdir()}`;
}

describe('S3Driver with a blob over 5 GiB in more than 1000 parts (field case F05)', () => {
  let server: S3Server;
  let factory: S3DriverFactory;

  before(async () => {
    server = await startS3Server();
    factory = new S3DriverFactory(server);
  });

  after(async () => {
    factory?.close();
    await server?.stop();
  });

  it('assembles every part in order and completes the upload whole', TIMEOUT, async () => {
    const settings = factory.settings();
    const sut = factory.create(settings);
    const contents = [0, 1, 2].map(() => randomBytes(MINIMUM_PART_SIZE));
    const { chunks: written } = await writeChunks(sut, contents);
    const chunks: ChunkRef[] = Array.from({ length: PARTS }, (_, index) => ({
      ...written[index % 3]!,
      offset: index * MINIMUM_PART_SIZE,
    }));
    const target = `assembled/${randomUUID()}`;

    await sut.assemble(chunks, target);

    assert.deepEqual(await sut.stat(target), { size: PARTS * MINIMUM_PART_SIZE });
    assert.ok(PARTS * MINIMUM_PART_SIZE > 5 * 1024 ** 3);
    const client = rawClient(server);
    try {
      const key = `${settings.prefix}/${target}`;
      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
      assert.equal(partCountOf(head.ETag), PARTS);
    } finally {
      client.destroy();
    }
    // Every part is one whole chunk; reading a few across the 1000th shows order and content.
    for (const part of [0, 1, 2, 998, 999, 1000, 1001, PARTS - 1]) {
      const start = part * MINIMUM_PART_SIZE;
      const range = { start, end: start + MINIMUM_PART_SIZE - 1 };
      assertSameBytes(await readAll(sut.read(target, range)), contents[part % 3]!, `part ${part}`);
    }
    const straddle = { start: 1000 * MINIMUM_PART_SIZE - 10, end: 1000 * MINIMUM_PART_SIZE + 9 };
    const expected = Buffer.concat([
      contents[999 % 3]!.subarray(-10),
      contents[1000 % 3]!.subarray(0, 10),
    ]);
    assertSameBytes(await readAll(sut.read(target, straddle)), expected, 'across parts 1000/1001');
    await sut.delete(target);
  });
});
