import { repositoryStream } from '@tidemark/state';
import {
  errorCode,
  OciClient,
  OciLayoutBuilder,
  readLayout,
  RegistryClients,
  seededBytes,
  sha256,
  startTestRegistry,
  type ContentDescriptor,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// A three-layer image of about 3 MB, built on disk as an OCI image layout, goes through the
// real clients: pushed with skopeo, pulled back with crane and oras, copied between
// repositories with skopeo and crane, listed, and deleted. Every digest a client reports or
// writes must be the one built here. The tests run in order and build on one another.
// skopeo runs with --preserve-digests: otherwise it gzips uncompressed layers on their way to
// a registry, and the manifest it pushes is no longer the one built.

const SOURCE = 'e2e/images/app';
const SKOPEO_COPY = 'e2e/images/skopeo-copy';
const CRANE_COPY = 'e2e/images/crane-copy';

describe('a multi-layer image through real clients', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let workDir: string;
  let layout: OciLayoutBuilder;
  let image: ContentDescriptor;

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-images-'));
    layout = await OciLayoutBuilder.create(join(workDir, 'source'));
    image = await addThreeLayerImage(layout);
    await layout.tag(image, 'v1');
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  const reference = (name: string, tag = 'v1'): string => `${registry.host}/${name}:${tag}`;

  async function assertDigest(name: string, expected: string): Promise<void> {
    const { stdout } = await clients.crane('digest', reference(name));
    assert.equal(stdout.trim(), expected, `crane digest ${name}`);
  }

  describe('skopeo copy from the layout', () => {
    it('pushes the layout with the manifest digest it was built with', async () => {
      await clients.skopeo(
        'copy',
        '--preserve-digests',
        `oci:${layout.dir}:v1`,
        `docker://${reference(SOURCE)}`,
      );

      await assertDigest(SOURCE, image.digest);
      const { stdout } = await clients.crane('manifest', reference(SOURCE));
      assert.equal(sha256(stdout), image.digest);
    });
  });

  describe('crane pull --format oci', () => {
    it('writes the manifest, config and every layer with the digests pushed', async () => {
      const pulled = join(workDir, 'crane-pull');

      await clients.crane('pull', '--format', 'oci', reference(SOURCE), pulled);

      const contents = await readLayout(pulled);
      assert.deepEqual(
        contents.manifests.map((manifest) => manifest.digest),
        [image.digest],
      );
      assert.deepEqual(contents.blobDigests, await layout.digestsReachableFrom(image));
    });
  });

  describe('oras cp --to-oci-layout', () => {
    it('writes the manifest, config and every layer with the digests pushed', async () => {
      const pulled = join(workDir, 'oras-pull');

      await clients.oras('cp', '--to-oci-layout', reference(SOURCE), `${pulled}:v1`);

      const contents = await readLayout(pulled);
      assert.deepEqual(
        contents.manifests.map((manifest) => manifest.digest),
        [image.digest],
      );
      assert.deepEqual(contents.blobDigests, await layout.digestsReachableFrom(image));
    });
  });

  describe('skopeo copy between repositories', () => {
    it('copies the image to another repository under the same digest', async () => {
      await clients.skopeo(
        'copy',
        '--preserve-digests',
        `docker://${reference(SOURCE)}`,
        `docker://${reference(SKOPEO_COPY)}`,
      );

      await assertDigest(SKOPEO_COPY, image.digest);
    });
  });

  describe('crane copy', () => {
    it('copies the image under the same digest, mounting every blob instead of uploading it', async () => {
      await clients.crane('copy', reference(SOURCE), reference(CRANE_COPY));

      await assertDigest(CRANE_COPY, image.digest);
      const events = await registry.database.query<{ type: string; payload: { from?: string } }>(
        'SELECT type, payload FROM events WHERE stream = $1 ORDER BY position',
        [repositoryStream(CRANE_COPY)],
      );
      const blobCount = (await layout.digestsReachableFrom(image)).length - 1;
      const mounts = events.filter((event) => event.type === 'BlobMounted');
      assert.equal(mounts.length, blobCount);
      assert.ok(mounts.every((event) => event.payload.from === SOURCE));
      assert.ok(
        events.every((event) => event.type !== 'BlobPushed'),
        'no blob was uploaded',
      );
    });

    it('leaves the pulled blobs of the copy identical to the source', async () => {
      const pulled = join(workDir, 'crane-copy-pull');

      await clients.crane('pull', '--format', 'oci', reference(CRANE_COPY), pulled);

      assert.deepEqual(
        (await readLayout(pulled)).blobDigests,
        await layout.digestsReachableFrom(image),
      );
    });
  });

  describe('crane catalog and crane ls', () => {
    it('list every repository pushed to', async () => {
      const { stdout } = await clients.crane('catalog', registry.host);

      assert.deepEqual(lines(stdout), [SOURCE, CRANE_COPY, SKOPEO_COPY]);
    });

    it('list the tags of a repository, including one added by crane tag', async () => {
      await clients.crane('tag', reference(SOURCE), 'stable');

      const { stdout } = await clients.crane('ls', `${registry.host}/${SOURCE}`);

      assert.deepEqual(lines(stdout), ['stable', 'v1']);
      await assertDigest(SOURCE, image.digest);
    });
  });

  describe('crane delete', () => {
    it('deletes a manifest by digest: the digest and its tag then answer 404', async () => {
      const repository = `${registry.host}/${SKOPEO_COPY}`;

      await clients.crane('delete', `${repository}@${image.digest}`);

      const fetched = await clients.run('crane', ['manifest', `${repository}@${image.digest}`], {
        canFail: true,
      });
      assert.notEqual(fetched.code, 0);
      assert.match(fetched.stderr, /MANIFEST_UNKNOWN/);
      const client = new OciClient(registry.url);
      for (const target of [image.digest, 'v1']) {
        const response = await client.request('GET', `/v2/${SKOPEO_COPY}/manifests/${target}`);
        assert.equal(response.status, 404, target);
        assert.equal(await errorCode(response), 'MANIFEST_UNKNOWN', target);
      }
      assert.deepEqual(lines((await clients.crane('ls', repository)).stdout), []);
    });

    it('leaves the other repositories holding the same manifest untouched', async () => {
      await assertDigest(SOURCE, image.digest);
      await assertDigest(CRANE_COPY, image.digest);
    });
  });
});

/**
 * Adds an image of three layers built from generated files: small text files, 2 MiB of
 * pseudo-random data, and a gzipped layer of repetitive text, so that both uncompressed and
 * gzipped layers go through every client.
 */
async function addThreeLayerImage(layout: OciLayoutBuilder): Promise<ContentDescriptor> {
  const etc = await layout.addLayer([
    { path: 'etc/hostname', content: 'tidemark-e2e\n' },
    { path: 'etc/motd', content: 'built from files on this machine\n' },
  ]);
  const data = await layout.addLayer([
    { path: 'opt/app/data.bin', content: seededBytes('images/data', 2 * 1024 * 1024) },
  ]);
  const docs = await layout.addLayer(
    [{ path: 'usr/share/doc/app/README', content: 'Tidemark end-to-end test. '.repeat(40_000) }],
    { isGzipped: true },
  );
  return layout.addImage({ layers: [etc, data, docs] });
}

function lines(output: string): string[] {
  return output.split('\n').filter((line) => line !== '');
}
