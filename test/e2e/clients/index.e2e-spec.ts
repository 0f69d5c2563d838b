import {
  assertPulledLayout,
  OciLayoutBuilder,
  RegistryClients,
  sha256,
  startTestRegistry,
  type ContentDescriptor,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// An OCI image index of two tiny images, linux/amd64 and linux/arm64, built on disk. Four
// clients push it whole (skopeo copy --all, crane push, oras cp, regctl image copy); each
// push must keep the index digest, and each client must resolve each platform to its own
// manifest. skopeo, crane and oras then pull it whole into a layout and copy it whole to
// another repository, each working on another client's push. The tests run in order.

const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
const PUSHED_BY = {
  skopeo: 'e2e/index/skopeo',
  crane: 'e2e/index/crane',
  oras: 'e2e/index/oras',
  regctl: 'e2e/index/regctl',
} as const;
const COPIED_BY = {
  skopeo: 'e2e/index/skopeo-copy',
  crane: 'e2e/index/crane-copy',
  oras: 'e2e/index/oras-copy',
} as const;

describe('a two-platform image index through real clients', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let workDir: string;
  let layout: OciLayoutBuilder;
  let index: ContentDescriptor;
  const images = new Map<string, ContentDescriptor>();

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-index-'));
    layout = await OciLayoutBuilder.create(join(workDir, 'source'));
    for (const platform of PLATFORMS) {
      images.set(platform, await addPlatformImage(layout, platform));
    }
    index = await layout.addIndex([...images.values()]);
    await layout.tag(index, 'v1');
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  const reference = (name: string): string => `${registry.host}/${name}:v1`;

  describe('pushing the index', () => {
    it('skopeo copy --all keeps the index digest', async () => {
      await clients.skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        `oci:${layout.dir}:v1`,
        `docker://${reference(PUSHED_BY.skopeo)}`,
      );

      await assertIndexServed(PUSHED_BY.skopeo);
    });

    it('crane push of the layout keeps the index digest', async () => {
      await clients.crane('push', layout.dir, reference(PUSHED_BY.crane));

      await assertIndexServed(PUSHED_BY.crane);
    });

    it('oras cp --from-oci-layout keeps the index digest', async () => {
      await clients.oras('cp', '--from-oci-layout', `${layout.dir}:v1`, reference(PUSHED_BY.oras));

      await assertIndexServed(PUSHED_BY.oras);
    });

    it('regctl image copy keeps the index digest', async () => {
      await clients.regctl(
        'image',
        'copy',
        `ocidir://${layout.dir}:v1`,
        reference(PUSHED_BY.regctl),
      );

      await assertIndexServed(PUSHED_BY.regctl);
    });
  });

  describe('resolving a platform', () => {
    for (const platform of PLATFORMS) {
      it(`crane, regctl and oras resolve ${platform} to its manifest in every repository`, async () => {
        const expected = images.get(platform)!.digest;

        for (const name of Object.values(PUSHED_BY)) {
          assert.deepEqual(await platformDigests(reference(name), platform), {
            crane: expected,
            regctl: expected,
            oras: expected,
          });
        }
      });
    }
  });

  describe('crane pull --platform', () => {
    for (const platform of PLATFORMS) {
      it(`pulls only the ${platform} image, with the digests pushed`, async () => {
        const pulled = join(workDir, `pull-${platform.replace('/', '-')}`);
        const image = images.get(platform)!;

        await clients.crane(
          'pull',
          '--platform',
          platform,
          '--format',
          'oci',
          reference(PUSHED_BY.skopeo),
          pulled,
        );

        await assertPulledLayout(pulled, layout, image);
        const config = await readConfig(pulled, image.digest);
        assert.equal(`${config.os}/${config.architecture}`, platform);
      });
    }
  });

  describe('pulling the whole index into a layout', () => {
    it('skopeo copy --all writes the index and every blob of the crane push', async () => {
      const pulled = join(workDir, 'skopeo-pull');

      await clients.skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        `docker://${reference(PUSHED_BY.crane)}`,
        `oci:${pulled}:v1`,
      );

      await assertPulledLayout(pulled, layout, index);
    });

    it('crane pull --format oci writes the index and every blob of the oras push', async () => {
      const pulled = join(workDir, 'crane-pull');

      await clients.crane('pull', '--format', 'oci', reference(PUSHED_BY.oras), pulled);

      await assertPulledLayout(pulled, layout, index);
    });

    it('oras cp --to-oci-layout writes the index and every blob of the skopeo push', async () => {
      const pulled = join(workDir, 'oras-pull');

      await clients.oras('cp', '--to-oci-layout', reference(PUSHED_BY.skopeo), `${pulled}:v1`);

      await assertPulledLayout(pulled, layout, index);
    });
  });

  describe('copying the whole index to another repository', () => {
    it('skopeo copy --all keeps the index digest and both platform manifests', async () => {
      await clients.skopeo(
        'copy',
        '--all',
        '--preserve-digests',
        `docker://${reference(PUSHED_BY.regctl)}`,
        `docker://${reference(COPIED_BY.skopeo)}`,
      );

      await assertIndexServed(COPIED_BY.skopeo);
    });

    it('crane copy keeps the index digest and both platform manifests', async () => {
      await clients.crane('copy', reference(PUSHED_BY.skopeo), reference(COPIED_BY.crane));

      await assertIndexServed(COPIED_BY.crane);
    });

    it('oras cp -r keeps the index digest and both platform manifests', async () => {
      await clients.oras('cp', '-r', reference(PUSHED_BY.crane), reference(COPIED_BY.oras));

      await assertIndexServed(COPIED_BY.oras);
    });
  });

  /** Asserts that `name:v1` serves the index's exact bytes, and holds both its children. */
  async function assertIndexServed(name: string): Promise<void> {
    const { stdout: digest } = await clients.crane('digest', reference(name));
    assert.equal(digest.trim(), index.digest);
    const { stdout: served } = await clients.crane('manifest', reference(name));
    assert.equal(sha256(served), index.digest);
    for (const image of images.values()) {
      const { stdout: child } = await clients.crane(
        'manifest',
        `${registry.host}/${name}@${image.digest}`,
      );
      assert.equal(sha256(child), image.digest);
    }
  }

  /** Returns the digest each client resolves `platform` of `reference` to. */
  async function platformDigests(
    reference: string,
    platform: string,
  ): Promise<Record<string, string>> {
    const crane = await clients.crane('digest', '--platform', platform, reference);
    const regctl = await clients.regctl('image', 'digest', '--platform', platform, reference);
    const oras = await clients.oras('resolve', '--platform', platform, reference);
    return { crane: crane.stdout.trim(), regctl: regctl.stdout.trim(), oras: oras.stdout.trim() };
  }
});

/** Adds a one-layer image for `platform` (`os/architecture`), whose file names the platform. */
async function addPlatformImage(
  layout: OciLayoutBuilder,
  platform: string,
): Promise<ContentDescriptor> {
  const [os, architecture] = platform.split('/') as [string, string];
  const layer = await layout.addLayer([{ path: 'etc/platform', content: `${platform}\n` }]);
  return layout.addImage({ layers: [layer], platform: { os, architecture } });
}

/** Reads the config of the image `manifestDigest` from a pulled layout. */
async function readConfig(
  dir: string,
  manifestDigest: string,
): Promise<{ os: string; architecture: string }> {
  const blob = (digest: string): string => join(dir, 'blobs', ...digest.split(':'));
  const manifest = JSON.parse(await readFile(blob(manifestDigest), 'utf8')) as {
    config: { digest: string };
  };
  return JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as {
    os: string;
    architecture: string;
  };
}
