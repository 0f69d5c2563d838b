import {
  OciLayoutBuilder,
  readLayout,
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

// An OCI image index of two tiny images, linux/amd64 and linux/arm64, built on disk. Three
// clients push it whole (skopeo copy --all, crane push, regctl image copy); each push must
// keep the index digest, and each client must resolve each platform to its own manifest.

const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
const PUSHED_BY = {
  skopeo: 'e2e/index/skopeo',
  crane: 'e2e/index/crane',
  regctl: 'e2e/index/regctl',
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

        const contents = await readLayout(pulled);
        assert.deepEqual(
          contents.manifests.map((manifest) => manifest.digest),
          [image.digest],
        );
        assert.deepEqual(contents.blobDigests, await layout.digestsReachableFrom(image));
        const config = await readConfig(pulled, image.digest);
        assert.equal(`${config.os}/${config.architecture}`, platform);
      });
    }
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
