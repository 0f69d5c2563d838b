import { repositoryStream } from '@tidemark/state';
import {
  assertPulledLayout,
  errorCode,
  OciClient,
  OciLayoutBuilder,
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
// real clients: pushed from the layout by skopeo, crane and oras, each push pulled back into
// a layout by another client, copied between repositories by all three, listed, and deleted.
// Every digest a client reports or writes must be the one built here. The tests run in order
// and build on one another. skopeo runs with --preserve-digests: otherwise it gzips
// uncompressed layers on their way to a registry (and into an oci: layout), and the manifest
// it writes is no longer the one built.

const SOURCE = 'e2e/images/app';
const CRANE_PUSH = 'e2e/images/crane-push';
const ORAS_PUSH = 'e2e/images/oras-push';
const SKOPEO_COPY = 'e2e/images/skopeo-copy';
const CRANE_COPY = 'e2e/images/crane-copy';
const ORAS_COPY = 'e2e/images/oras-copy';

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

  /** Asserts that `name:v1` serves the exact manifest bytes built. */
  async function assertManifestServed(name: string): Promise<void> {
    await assertDigest(name, image.digest);
    const { stdout } = await clients.crane('manifest', reference(name));
    assert.equal(sha256(stdout), image.digest);
  }

  const assertPulled = (dir: string): Promise<void> => assertPulledLayout(dir, layout, image);

  describe('pushing the layout', () => {
    it('skopeo copy keeps the manifest digest it was built with', async () => {
      await clients.skopeo(
        'copy',
        '--preserve-digests',
        `oci:${layout.dir}:v1`,
        `docker://${reference(SOURCE)}`,
      );

      await assertManifestServed(SOURCE);
    });

    it('crane push keeps the manifest digest it was built with', async () => {
      await clients.crane('push', layout.dir, reference(CRANE_PUSH));

      await assertManifestServed(CRANE_PUSH);
    });

    it('oras cp --from-oci-layout keeps the manifest digest it was built with', async () => {
      await clients.oras('cp', '--from-oci-layout', `${layout.dir}:v1`, reference(ORAS_PUSH));

      await assertManifestServed(ORAS_PUSH);
    });
  });

  // Each client pulls what another client pushed, so every push is checked byte for byte.
  describe('pulling into a layout', () => {
    it('crane pull --format oci writes every blob of the oras push with its digest', async () => {
      const pulled = join(workDir, 'crane-pull');

      await clients.crane('pull', '--format', 'oci', reference(ORAS_PUSH), pulled);

      await assertPulled(pulled);
    });

    it('oras cp --to-oci-layout writes every blob of the skopeo push with its digest', async () => {
      const pulled = join(workDir, 'oras-pull');

      await clients.oras('cp', '--to-oci-layout', reference(SOURCE), `${pulled}:v1`);

      await assertPulled(pulled);
    });

    it('skopeo copy to oci: writes every blob of the crane push with its digest', async () => {
      const pulled = join(workDir, 'skopeo-pull');

      await clients.skopeo(
        'copy',
        '--preserve-digests',
        `docker://${reference(CRANE_PUSH)}`,
        `oci:${pulled}:v1`,
      );

      await assertPulled(pulled);
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

      await assertManifestServed(SKOPEO_COPY);
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

      await assertPulled(pulled);
    });
  });

  describe('oras cp between repositories', () => {
    it('copies the image to another repository under the same digest', async () => {
      await clients.oras('cp', reference(CRANE_PUSH), reference(ORAS_COPY));

      await assertManifestServed(ORAS_COPY);
    });
  });

  describe('crane catalog and crane ls', () => {
    it('list every repository pushed to', async () => {
      const { stdout } = await clients.crane('catalog', registry.host);

      const pushedTo = [SOURCE, CRANE_PUSH, ORAS_PUSH, SKOPEO_COPY, CRANE_COPY, ORAS_COPY];
      assert.deepEqual(lines(stdout), pushedTo.sort());
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
      for (const name of [SOURCE, CRANE_PUSH, ORAS_PUSH, CRANE_COPY, ORAS_COPY]) {
        await assertDigest(name, image.digest);
      }
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
