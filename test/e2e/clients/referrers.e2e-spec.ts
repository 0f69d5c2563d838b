import {
  OciClient,
  OciLayoutBuilder,
  RegistryClients,
  sha256,
  startTestRegistry,
  type ContentDescriptor,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// An SBOM attached to an image with `oras attach`: a manifest whose `subject` is the image.
// oras must find it through the referrers API (DS v1.1 "Listing Referrers"), and so must a
// raw GET; oras must not have fallen back to the referrers tag schema. `oras cp -r` copies
// the image with its referrers to another repository; crane has no referrers option, so it
// copies the image and then the referrer by digest; either way the referrers API of the
// destination must list it. skopeo 1.9.3 (Debian 12) knows nothing of referrers and has no
// way to copy them, so it has no part here. The tests run in order and build on one another.

const REPOSITORY = 'e2e/referrers/app';
const ORAS_COPY = 'e2e/referrers/oras-copy';
const CRANE_COPY = 'e2e/referrers/crane-copy';
const SBOM_TYPE = 'application/vnd.example.sbom.v1';
const SBOM = JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'tidemark-e2e', packages: [] });

/** What `oras discover --format json` prints, as far as these tests read it. */
interface DiscoverOutput {
  readonly digest: string;
  readonly referrers: readonly { digest: string; artifactType?: string; mediaType: string }[];
}

describe('an artifact attached to an image, found through the referrers API', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let client: OciClient;
  let workDir: string;
  let image: ContentDescriptor;
  let artifactDigest: string;

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    client = new OciClient(registry.url);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-referrers-'));
    const layout = await OciLayoutBuilder.create(join(workDir, 'source'));
    const layer = await layout.addLayer([
      { path: 'usr/bin/app', content: '#!/bin/sh\necho app\n' },
    ]);
    image = await layout.addImage({ layers: [layer] });
    await layout.tag(image, 'v1');
    await clients.crane('push', layout.dir, `${registry.host}/${REPOSITORY}:v1`);
    await writeFile(join(workDir, 'sbom.spdx.json'), SBOM);
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  const subject = (): string => `${registry.host}/${REPOSITORY}@${image.digest}`;

  describe('oras attach', () => {
    it('pushes a manifest with the artifact type whose subject is the image', async () => {
      const { stdout } = await clients.run(
        'oras',
        [
          'attach',
          '--plain-http',
          '--artifact-type',
          SBOM_TYPE,
          '--format',
          'json',
          `${registry.host}/${REPOSITORY}:v1`,
          'sbom.spdx.json:application/spdx+json',
        ],
        { cwd: workDir },
      );
      artifactDigest = (JSON.parse(stdout) as { digest: string }).digest;

      const manifest = await fetchManifest(artifactDigest);
      assert.equal(manifest.artifactType, SBOM_TYPE);
      assert.equal(manifest.subject?.digest, image.digest);
      assert.equal(manifest.subject?.size, image.size);
    });
  });

  describe('oras discover', () => {
    it('lists the artifact as a referrer of the image', async () => {
      const { stdout } = await clients.oras('discover', '--format', 'json', subject());

      const discovered = JSON.parse(stdout) as DiscoverOutput;
      assert.equal(discovered.digest, image.digest);
      assert.deepEqual(
        discovered.referrers.map(({ digest, artifactType }) => ({ digest, artifactType })),
        [{ digest: artifactDigest, artifactType: SBOM_TYPE }],
      );
    });

    it('finds it when filtering by its artifact type, and nothing for another type', async () => {
      const matching = await clients.oras(
        'discover',
        '--format',
        'json',
        '--artifact-type',
        SBOM_TYPE,
        subject(),
      );
      const other = await clients.oras(
        'discover',
        '--format',
        'json',
        '--artifact-type',
        'application/vnd.example.signature.v1',
        subject(),
      );

      const digests = (output: string): string[] =>
        (JSON.parse(output) as DiscoverOutput).referrers.map((referrer) => referrer.digest);
      assert.deepEqual(digests(matching.stdout), [artifactDigest]);
      assert.deepEqual(digests(other.stdout), []);
    });

    it('was served by the referrers API: no fallback tag was pushed', async () => {
      const { stdout } = await clients.crane('ls', `${registry.host}/${REPOSITORY}`);

      assert.deepEqual(stdout.split('\n').filter(Boolean), ['v1']);
    });
  });

  describe('GET /v2/:name/referrers/:digest', () => {
    it('returns an image index listing the artifact with its artifactType', async () => {
      const response = await client.request('GET', `/v2/${REPOSITORY}/referrers/${image.digest}`);

      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
      const body = (await response.json()) as { mediaType: string; manifests: ContentDescriptor[] };
      assert.equal(body.mediaType, 'application/vnd.oci.image.index.v1+json');
      const artifact = await fetchManifestBytes(REPOSITORY, artifactDigest);
      assert.deepEqual(
        body.manifests.map(({ mediaType, digest, size, artifactType }) => ({
          mediaType,
          digest,
          size,
          artifactType,
        })),
        [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: artifactDigest,
            size: artifact.length,
            artifactType: SBOM_TYPE,
          },
        ],
      );
    });

    it('applies an artifactType filter and says so in OCI-Filters-Applied', async () => {
      const path = `/v2/${REPOSITORY}/referrers/${image.digest}?artifactType=${encodeURIComponent(SBOM_TYPE)}`;

      const response = await client.request('GET', path);

      assert.equal(response.status, 200);
      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      const body = (await response.json()) as { manifests: ContentDescriptor[] };
      assert.deepEqual(
        body.manifests.map((manifest) => manifest.digest),
        [artifactDigest],
      );
    });
  });

  describe('oras pull', () => {
    it('pulls the attached file back byte for byte', async () => {
      const output = join(workDir, 'pulled');

      await clients.oras(
        'pull',
        '--output',
        output,
        `${registry.host}/${REPOSITORY}@${artifactDigest}`,
      );

      assert.equal(sha256(await readFile(join(output, 'sbom.spdx.json'))), sha256(SBOM));
    });
  });

  describe('oras cp -r to another repository', () => {
    it('copies the image under its digest with the referrer, which the referrers API lists', async () => {
      await clients.oras('cp', '-r', `${registry.host}/${REPOSITORY}:v1`, reference(ORAS_COPY));

      const { stdout } = await clients.crane('digest', reference(ORAS_COPY));
      assert.equal(stdout.trim(), image.digest);
      assert.deepEqual(await referrersOf(ORAS_COPY), [artifactDigest]);
    });

    it('copies the referrer byte for byte, without a fallback tag', async () => {
      const copied = await fetchManifestBytes(ORAS_COPY, artifactDigest);

      assert.equal(sha256(copied), artifactDigest);
      const { stdout } = await clients.crane('ls', `${registry.host}/${ORAS_COPY}`);
      assert.deepEqual(stdout.split('\n').filter(Boolean), ['v1']);
    });
  });

  describe('crane copy of the image, then of the referrer by digest', () => {
    it('makes the referrers API of the destination list the referrer', async () => {
      await clients.crane('copy', `${registry.host}/${REPOSITORY}:v1`, reference(CRANE_COPY));
      assert.deepEqual(await referrersOf(CRANE_COPY), []);

      await clients.crane(
        'copy',
        `${registry.host}/${REPOSITORY}@${artifactDigest}`,
        `${registry.host}/${CRANE_COPY}@${artifactDigest}`,
      );

      assert.deepEqual(await referrersOf(CRANE_COPY), [artifactDigest]);
    });
  });

  describe('oras manifest delete', () => {
    it('removes the artifact from the referrers of the image', async () => {
      await clients.oras(
        'manifest',
        'delete',
        '--force',
        `${registry.host}/${REPOSITORY}@${artifactDigest}`,
      );

      const { stdout } = await clients.oras('discover', '--format', 'json', subject());
      assert.deepEqual((JSON.parse(stdout) as DiscoverOutput).referrers, []);
    });

    it('leaves the copies of the artifact in the other repositories listed', async () => {
      assert.deepEqual(await referrersOf(ORAS_COPY), [artifactDigest]);
      assert.deepEqual(await referrersOf(CRANE_COPY), [artifactDigest]);
    });
  });

  const reference = (name: string): string => `${registry.host}/${name}:v1`;

  /** Returns the digests the referrers API lists for the image in `repository`. */
  async function referrersOf(repository: string): Promise<string[]> {
    const response = await client.request('GET', `/v2/${repository}/referrers/${image.digest}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { manifests: ContentDescriptor[] };
    return body.manifests.map((manifest) => manifest.digest);
  }

  async function fetchManifestBytes(repository: string, digest: string): Promise<Buffer> {
    const response = await client.request('GET', `/v2/${repository}/manifests/${digest}`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  }

  async function fetchManifest(
    digest: string,
  ): Promise<{ artifactType?: string; subject?: { digest: string; size: number } }> {
    return JSON.parse((await fetchManifestBytes(REPOSITORY, digest)).toString('utf8')) as {
      artifactType?: string;
      subject?: { digest: string; size: number };
    };
  }
});
