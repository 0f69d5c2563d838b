import { ConfigSchema, type TidemarkConfig } from '@tidemark/config';
import {
  OciClient,
  pushInChunks,
  s3Storage,
  startRegistryReplica,
  startS3Server,
  startTestRegistry,
  type S3Server,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RegistryServer } from '../../../apps/cli/src/server/registry-server';

// Upload sessions live in Postgres, so the chunks of one upload may reach any instance. Here
// every request of an upload goes to the other of two instances on one database and one
// storage, on each storage Tidemark has: the filesystem, S3 (S3Proxy), and both behind the
// consistency-fault driver. Field case F05 runs here on every driver too: on S3 with 5 MiB
// parts, a blob of some 30 MiB takes the paths a multi-GiB blob takes on the default parts.

const MiB = 1024 * 1024;
const KiB = 1024;
const TIMEOUT = { timeout: 120_000 };
// Lagging, flapping, stale and failing, but never in a way a registry could not absorb:
// chunk writes only fail before their body is read, which can be retried.
const FAULTS = JSON.stringify({
  newObjects: { lagMs: 150, flapMs: 350, flapRate: 0.5 },
  staleMetadata: { lagMs: 300 },
  transientErrors: { rate: 0.05, streamRate: 0.03 },
  timeouts: { rate: 0.02, delayMs: 200, operations: ['stat', 'read', 'readChunks', 'assemble'] },
  reordering: { maxDelayMs: 25 },
});

/** Storage settings for a registry, given an S3 server when the kind needs one. */
interface StorageKind {
  readonly name: string;
  readonly needsS3: boolean;
  storage(server?: S3Server): TidemarkConfig['storage'];
}

const KINDS: readonly StorageKind[] = [
  { name: 'filesystem', needsS3: false, storage: () => ConfigSchema.shape.storage.parse({}) },
  {
    name: 'filesystem under faults',
    needsS3: false,
    storage: () => ConfigSchema.shape.storage.parse({ faults: FAULTS }),
  },
  { name: 's3', needsS3: true, storage: (server) => s3PartsStorage(server!) },
  {
    name: 's3 under faults',
    needsS3: true,
    storage: (server) => ({ ...s3PartsStorage(server!), faults: FAULTS }),
  },
];

function s3PartsStorage(server: S3Server): TidemarkConfig['storage'] {
  // S3's minimum part size, which S3Proxy enforces.
  return s3Storage(server, 'across-instances', { partSizeBytes: 5 * MiB });
}

for (const kind of KINDS) {
  describe(`uploads across two instances, on ${kind.name}`, () => {
    let server: S3Server | undefined;
    let registry: TestRegistry;
    let replica: RegistryServer;
    let instances: OciClient[];

    before(async () => {
      server = kind.needsS3 ? await startS3Server() : undefined;
      registry = await startTestRegistry({
        storage: kind.storage(server),
        readAfterWriteWindowMs: 4000,
      });
      replica = await startRegistryReplica(registry);
      instances = [new OciClient(registry.url), new OciClient(replica.url)];
    });

    after(async () => {
      await replica?.close();
      await registry?.close();
      await server?.stop();
    });

    /** GETs the blob from every instance and checks its bytes and headers. */
    async function assertServedEverywhere(repository: string, digest: string, size: number) {
      for (const [index, instance] of instances.entries()) {
        const head = await instance.request('HEAD', `/v2/${repository}/blobs/${digest}`);
        assert.equal(head.status, 200, `HEAD on instance ${index}`);
        assert.equal(head.headers.get('content-length'), String(size));
        const blob = await instance.request('GET', `/v2/${repository}/blobs/${digest}`);
        assert.equal(blob.status, 200, `GET on instance ${index}`);
        assert.equal(blob.headers.get('docker-content-digest'), digest);
        assert.equal(digestOf(Buffer.from(await blob.arrayBuffer()), digest), digest);
      }
    }

    for (const algorithm of ['sha256', 'sha512'] as const) {
      it(
        `commits a ${algorithm} upload whose every request reached the other instance`,
        TIMEOUT,
        async () => {
          const chunks = [MiB + 3, 2 * MiB, 517 * KiB].map((size) => randomBytes(size));
          const content = Buffer.concat(chunks);
          const digest = `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`;

          const committed = await pushInChunks(instances, 'team/across', chunks, algorithm);

          assert.equal(committed.status, 201);
          assert.equal(committed.headers.get('docker-content-digest'), digest);
          await assertServedEverywhere('team/across', digest, content.length);
        },
      );
    }

    it(
      'field case F05: commits a blob of several copy parts, chunks on either instance',
      TIMEOUT,
      async () => {
        const sizes = [11 * MiB, 64 * KiB, 1, 6 * MiB + 5, 300 * KiB, 16 * MiB + 3, 7];
        const chunks = sizes.map((size) => randomBytes(size));
        const content = Buffer.concat(chunks);

        const committed = await pushInChunks(instances, 'team/big', chunks);

        assert.equal(committed.status, 201);
        const digest = committed.headers.get('docker-content-digest')!;
        assert.equal(digest, digestOf(content, 'sha256:'));
        await assertServedEverywhere('team/big', digest, content.length);
      },
    );
  });
}

/** The digest of `content` in the algorithm `like` names (`sha256:…` or `sha512:…`). */
function digestOf(content: Buffer, like: string): string {
  const algorithm = like.split(':')[0]!;
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`;
}
