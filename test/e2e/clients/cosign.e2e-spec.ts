import {
  OciClient,
  RegistryClients,
  startTestRegistry,
  type ContentDescriptor,
  type TestRegistry,
  type ToolResult,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// cosign signs an image in the registry with a key pair generated here, never with Sigstore's
// public services: no transparency log upload on signing, none checked on verifying, and an
// empty trusted root so that verify does not look for Sigstore's TUF repository. cosign
// stores a signature in one of three ways, each tried on an image of its own: by default a
// manifest tagged `sha256-<hex>.sig`; with `--registry-referrers-mode=oci-1-1` (needs
// COSIGN_EXPERIMENTAL) a manifest whose subject is the image; with `--new-bundle-format` a
// Sigstore bundle whose subject is the image. Each must verify with the public key and be
// refused with another key.

const PASSWORD = 'tidemark-e2e';
const EMPTY_TRUSTED_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
};

/** One way cosign stores a signature, and where it must land in the registry. */
interface SigningMode {
  readonly name: string;
  readonly repository: string;
  readonly signFlags: readonly string[];
  readonly verifyFlags: readonly string[];
  readonly environment?: Record<string, string>;
  /** The artifact types the referrers API must list; none means the tag scheme. */
  readonly referrerTypes: readonly string[];
}

const MODES: readonly SigningMode[] = [
  {
    name: 'cosign sign, by default',
    repository: 'e2e/cosign/tag-scheme',
    signFlags: [],
    verifyFlags: [],
    referrerTypes: [],
  },
  {
    name: 'cosign sign --registry-referrers-mode=oci-1-1',
    repository: 'e2e/cosign/referrers',
    signFlags: ['--registry-referrers-mode=oci-1-1'],
    verifyFlags: ['--experimental-oci11'],
    environment: { COSIGN_EXPERIMENTAL: '1' },
    referrerTypes: ['application/vnd.dev.cosign.artifact.sig.v1+json'],
  },
  {
    name: 'cosign sign --new-bundle-format',
    repository: 'e2e/cosign/bundle',
    signFlags: ['--new-bundle-format'],
    verifyFlags: ['--new-bundle-format'],
    referrerTypes: ['application/vnd.dev.sigstore.bundle.v0.3+json'],
  },
];

describe('images signed and verified by cosign with a local key pair', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let client: OciClient;
  let workDir: string;

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    client = new OciClient(registry.url);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-cosign-'));
    await writeFile(join(workDir, 'trusted-root.json'), JSON.stringify(EMPTY_TRUSTED_ROOT));
    await cosign(['generate-key-pair', '--output-key-prefix', 'signer']);
    await cosign(['generate-key-pair', '--output-key-prefix', 'other']);
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  for (const mode of MODES) {
    describe(mode.name, () => {
      let image: string;

      before(async () => {
        const digest = await client.pushImage(mode.repository, 'v1', `layer of ${mode.name}`);
        image = `${registry.host}/${mode.repository}@${digest}`;
      });

      it(`stores the signature ${where(mode)}`, async () => {
        const digest = image.split('@')[1]!;

        await cosign(
          ['sign', '--key', 'signer.key', '--tlog-upload=false', '--yes', ...mode.signFlags, image],
          mode.environment,
        );

        const sigTag = `${digest.replace(':', '-')}.sig`;
        const tags = mode.referrerTypes.length === 0 ? [sigTag, 'v1'] : ['v1'];
        assert.deepEqual(await tagsOf(mode.repository), tags);
        assert.deepEqual(await referrerTypesOf(mode.repository, digest), mode.referrerTypes);
      });

      it('is accepted by cosign verify with the public key', async () => {
        const { stdout } = await verify(mode, 'signer.pub', image);

        const payloads = JSON.parse(stdout) as {
          critical: { image: { 'docker-manifest-digest': string } };
        }[];
        assert.deepEqual(
          payloads.map((payload) => payload.critical.image['docker-manifest-digest']),
          [image.split('@')[1]],
        );
      });

      // Only the key differs from the test above. cosign words the refusal differently in
      // each mode (with --experimental-oci11 it falls back to the tag scheme and finds none).
      it('is refused by cosign verify with another key', async () => {
        const result = await verify(mode, 'other.pub', image, { canFail: true });

        assert.notEqual(result.code, 0, result.stdout);
      });
    });
  }

  function cosign(
    args: readonly string[],
    environment: Record<string, string> = {},
    options: { canFail?: boolean } = {},
  ): Promise<ToolResult> {
    const env = { ...clients.env, COSIGN_PASSWORD: PASSWORD, ...environment };
    return clients.run('cosign', args, { env, cwd: workDir, ...options });
  }

  function verify(
    mode: SigningMode,
    publicKey: string,
    image: string,
    options: { canFail?: boolean } = {},
  ): Promise<ToolResult> {
    const flags = [
      '--key',
      publicKey,
      '--insecure-ignore-tlog',
      '--trusted-root',
      'trusted-root.json',
    ];
    return cosign(['verify', ...flags, ...mode.verifyFlags, image], mode.environment, options);
  }

  async function tagsOf(repository: string): Promise<string[]> {
    const { stdout } = await clients.crane('ls', `${registry.host}/${repository}`);
    return stdout.split('\n').filter(Boolean);
  }

  async function referrerTypesOf(repository: string, digest: string): Promise<string[]> {
    const response = await client.request('GET', `/v2/${repository}/referrers/${digest}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { manifests: ContentDescriptor[] };
    return body.manifests.map((manifest) => manifest.artifactType ?? '');
  }
});

function where(mode: SigningMode): string {
  return mode.referrerTypes.length === 0
    ? 'under the sha256-<hex>.sig tag, not as a referrer'
    : `as a referrer of type ${mode.referrerTypes.join(', ')}, with no tag`;
}
