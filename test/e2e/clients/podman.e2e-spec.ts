import {
  RegistryClients,
  seededBytes,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// buildah builds an image from files on this machine (from scratch: no base image to pull),
// podman pushes it to the registry and pulls it back after deleting its own copy. Both keep
// their image store in the clients' private home, on the vfs driver. podman gzips the layer
// on push, so the manifest it pushes is its own; the image ID (the digest of the config,
// which names each layer by the sha256 of its uncompressed tar) must survive the round trip,
// and so must the manifest digest podman reports. The tests run in order.

const LOCAL = 'localhost/e2e/podman/app:v1';
const REPOSITORY = 'e2e/podman/app';

describe('an image built by buildah, pushed and pulled by podman', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let workDir: string;
  let imageId: string;
  let pushedDigest: string;

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-podman-'));
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  const reference = (): string => `${registry.host}/${REPOSITORY}:v1`;

  describe('buildah from scratch, copy and commit', () => {
    it('builds an image from local files into the private store', async () => {
      imageId = await buildImage(clients, await writeRootFiles(join(workDir, 'rootfs')));

      const { stdout } = await clients.podman('image', 'inspect', '--format', '{{.Id}}', LOCAL);
      assert.equal(stdout.trim(), imageId);
    });
  });

  describe('podman push', () => {
    it('pushes the image; the registry serves the digest podman reports', async () => {
      const digestFile = join(workDir, 'pushed-digest');

      await clients.podman('push', '--digestfile', digestFile, LOCAL, `docker://${reference()}`);

      pushedDigest = (await readFile(digestFile, 'utf8')).trim();
      const { stdout } = await clients.crane('digest', reference());
      assert.equal(stdout.trim(), pushedDigest);
    });

    it('stores the config podman built, under the image ID', async () => {
      const { stdout } = await clients.crane('config', reference());

      assert.equal(sha256(stdout), `sha256:${imageId}`);
    });
  });

  describe('podman pull', () => {
    it('brings the image back under the same ID and manifest digest once deleted', async () => {
      await clients.podman('rmi', LOCAL);

      const { stdout } = await clients.podman('pull', '--quiet', reference());

      assert.equal(stdout.trim(), imageId);
      const inspected = await clients.podman(
        'image',
        'inspect',
        '--format',
        '{{.Digest}}',
        imageId,
      );
      assert.equal(inspected.stdout.trim(), pushedDigest);
    });
  });
});

/** Writes the files of the image into `dir`: a text file and 1 MiB of pseudo-random bytes. */
async function writeRootFiles(dir: string): Promise<string> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'opt', 'app'), { recursive: true });
  await writeFile(join(dir, 'etc', 'motd'), 'built by buildah from files on this machine\n');
  await writeFile(join(dir, 'opt', 'app', 'data.bin'), seededBytes('podman/data', 1024 * 1024));
  return dir;
}

/** Builds `LOCAL` from scratch with the contents of `dir`, and returns its image ID. */
async function buildImage(clients: RegistryClients, dir: string): Promise<string> {
  const { stdout: container } = await clients.buildah('from', 'scratch');
  await clients.buildah('copy', container.trim(), `${dir}/`, '/');
  await clients.buildah('config', '--cmd', '/opt/app/data.bin', container.trim());
  const { stdout } = await clients.buildah(
    'commit',
    '--quiet',
    '--format',
    'oci',
    container.trim(),
    LOCAL,
  );
  await clients.buildah('rm', container.trim());
  return stdout.trim();
}
