import { describeStorageDriver } from '@tidemark/storage/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemDriver } from './filesystem.driver';

const roots: string[] = [];

async function createDriver(): Promise<FilesystemDriver> {
  const root = await mkdtemp(join(tmpdir(), 'tidemark-filesystem-driver-'));
  roots.push(root);
  return new FilesystemDriver(root);
}

after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describeStorageDriver(FilesystemDriver.name, createDriver);

describe(FilesystemDriver.name, () => {
  const unsafeKeys = ['../outside', 'uploads/../../outside', 'uploads//data', '/absolute'];
  for (const key of unsafeKeys) {
    it(`refuses the key "${key}", which could leave its root`, async () => {
      const sut = await createDriver();
      await assert.rejects(sut.assemble([], key), /unsafe key/);
      await assert.rejects(sut.stat(key), /unsafe key/);
    });
  }
});
