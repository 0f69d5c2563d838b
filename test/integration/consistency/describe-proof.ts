import { patternedBytes, sha256, withQuery } from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ExchangeLog, type Exchange } from './exchange-log';
import {
  brokenTagChains,
  damagedBlobs,
  damagedContent,
  describeExchange,
  lostWhilePulling,
  mustStillShow,
  readRepositoryEvents,
  refusedUploads,
  serverErrors,
  tagMoveViolations,
  unloggedDeletes,
  wrongBytes,
  type LoggedEvent,
} from './proof-checks';
import { startProofCluster, type ProofCluster } from './proof-cluster';
import { ProofClient, ProofWorld } from './proof-client';

// Two registry processes share one database and one storage, each behind a consistency-fault
// driver that shows new objects late (and to the other instance later still), reports stale
// sizes, shows deletes late, fails requests, times out (sometimes after a write took effect),
// breaks streams, and delays writes so they finish out of order. Many clients push, move
// tags, pull and delete through both at once, and every exchange is recorded; the checks
// then hold the record against the event log and against what storage really holds.
// One spec file per storage under the faults; TIDEMARK_PROOF_SEED replays the random choices
// of a run (the timing of concurrent requests still varies).

const FAULTS = {
  newObjects: { lagMs: 150, flapMs: 350, flapRate: 0.5 },
  staleMetadata: { lagMs: 300 },
  deletes: { lagMs: 300 },
  transientErrors: { rate: 0.05, streamRate: 0.03 },
  // Chunk writes are left out: one that timed out after reading the body cannot be repeated
  // by the registry, so its client gets a 500 and must resend (docs/consistency.md).
  timeouts: {
    rate: 0.02,
    delayMs: 200,
    appliedRate: 0.5,
    operations: ['stat', 'read', 'readChunks', 'assemble', 'discardUpload', 'delete'],
  },
  reordering: { maxDelayMs: 25 },
};
// Comfortably above lag + flap, so a read that waits its window always finds the object.
const READ_AFTER_WRITE_WINDOW_MS = 4000;
const CLIENTS = 12;
const WORK_MS = 20_000;
const MAX_STEPS_PER_CLIENT = 400;
const BURSTS = 5;
const UPLOADS_PER_BURST = 6;
const FINAL_READ_CONCURRENCY = 16;
const LARGE_BURST = 2;
const LARGE_CONTENT_BYTES = 16 * 1024 * 1024 + 5;
const SEED = Number(process.env.TIDEMARK_PROOF_SEED ?? Math.floor(Math.random() * 1_000_000));

/** Registers the proof on `storage`, one of PROOF_STORAGE's kinds. */
export function describeProofUnderFaults(storage: string): void {
  describe(`consistency proof under storage faults, on ${storage}`, () => {
    let cluster: ProofCluster;
    let log: ExchangeLog;
    const bursts: string[] = [];
    let finalReads: Exchange[];
    let events: LoggedEvent[];

    before(async () => {
      cluster = await startProofCluster({
        storage,
        instances: 2,
        faults: FAULTS,
        seed: SEED,
        readAfterWriteWindowMs: READ_AFTER_WRITE_WINDOW_MS,
      });
      log = new ExchangeLog(cluster.urls);
      const world = new ProofWorld();
      const deadline = performance.now() + WORK_MS;
      const clients = Array.from(
        { length: CLIENTS },
        (_, index) => new ProofClient(`client${index}`, log, world, SEED * 100 + index),
      );
      await Promise.all([
        ...clients.map((client) => client.run(deadline, MAX_STEPS_PER_CLIENT)),
        runBursts(log, world, bursts),
      ]);
      finalReads = await readSurvivors(log);
      events = await readRepositoryEvents(cluster.database);
    });

    after(async () => {
      await cluster?.stop();
    });

    it('did enough of everything to prove something', (context) => {
      const count = (action: Exchange['action'], status: number): number =>
        log.find(action, status).length;
      const stats = {
        seeds: cluster.seeds,
        storage: cluster.storage.name,
        exchanges: log.exchanges.length,
        blobPushes: count('commit-upload', 201),
        blobPulls: count('get-blob', 200),
        brokenBodies: log.exchanges.filter((exchange) => exchange.failure !== undefined).length,
        tagMoves: count('put-manifest', 201),
        refusedMoves: count('put-manifest', 412),
        deletes:
          count('delete-blob', 202) + count('delete-manifest', 202) + count('delete-tag', 202),
        logs: cluster.logDir,
      };
      context.diagnostic(JSON.stringify(stats));
      assert.ok(stats.blobPushes >= 100, 'blob pushes');
      assert.ok(stats.blobPulls >= 50, 'blob pulls');
      assert.ok(stats.tagMoves >= 30, 'tag moves');
      assert.ok(stats.deletes >= 10, 'deletes');
    });

    it('never serves bytes whose digest differs from the one asked for', () => {
      assertNone(wrongBytes(log));
    });

    it('absorbs every injected storage fault: no request gets a 5xx or a broken body', () => {
      assertNone(serverErrors(log));
    });

    it('accepts every well-formed upload request, whichever instance each one reaches', () => {
      assertNone(refusedUploads(log));
    });

    it('keeps every successful push pullable while clients work, until it is deleted', () => {
      assertNone(lostWhilePulling(log));
    });

    it('serves every successful push not deleted since, from every instance, after the run', () => {
      const failed = finalReads.filter(
        (read) => read.status !== 200 || read.bodyDigest !== read.digest,
      );
      assertNone(failed.map((read) => `${describeExchange(read)}: ${read.status}`));
    });

    it('commits concurrent uploads of one digest, each with 201, into one intact object', async () => {
      assert.equal(bursts.length, BURSTS);
      for (const digest of bursts) {
        const commits = log.find('commit-upload').filter((commit) => commit.digest === digest);
        assert.deepEqual(
          commits.map((commit) => commit.status),
          commits.map(() => 201),
          digest,
        );
        assert.equal(commits.length, UPLOADS_PER_BURST, digest);
      }
      assertNone(await damagedBlobs(cluster.storage.direct, bursts));
    });

    it('logs every successful tag move once, in the order the registry answered them', () => {
      assertNone(tagMoveViolations(log, events));
      assertNone(unloggedDeletes(log, events));
    });

    it('logs a chain of moves per tag that ends where the tags table points', async () => {
      const tags = await cluster.database.query<{
        repository: string;
        tag: string;
        digest: string;
      }>('SELECT repository, tag, digest FROM tags');
      assertNone(brokenTagChains(events, tags));
    });

    it('never deletes content a manifest or repository refers to', async () => {
      assertNone(await damagedContent(cluster.database, cluster.storage.direct));
    });

    describe('field case F06 over the fault driver', () => {
      const OCTETS = { 'Content-Type': 'application/octet-stream' };

      /** HEAD (404), POST and PATCH the whole body on `instance`; returns where to PUT. */
      async function stage(
        client: string,
        instance: number,
        repository: string,
        content: Buffer,
      ): Promise<string> {
        const digest = sha256(content);
        const request = { repository, digest };
        const head = await log.send(client, instance, {
          ...request,
          action: 'head-blob',
          method: 'HEAD',
          path: `/v2/${repository}/blobs/${digest}`,
        });
        assert.equal(head.status, 404);
        const start = await log.send(client, instance, {
          ...request,
          action: 'start-upload',
          method: 'POST',
          path: `/v2/${repository}/blobs/uploads/`,
        });
        const chunk = await log.send(client, instance, {
          ...request,
          action: 'write-chunk',
          method: 'PATCH',
          path: start.location!,
          headers: { ...OCTETS, 'Content-Range': `0-${content.length - 1}` },
          body: content,
        });
        assert.equal(chunk.status, 202);
        return chunk.location!;
      }

      /** PUTs the staged upload on `instance`, the other instance than the one that staged it. */
      function commit(
        client: string,
        instance: number,
        repository: string,
        location: string,
        digest: string,
      ) {
        return log.send(client, instance, {
          action: 'commit-upload',
          method: 'PUT',
          path: withQuery(location, `digest=${digest}`),
          repository,
          digest,
        });
      }

      async function assertServedEverywhere(repository: string, content: Buffer): Promise<void> {
        for (const instance of cluster.urls.keys()) {
          const read = await readContent(log, `f06-check`, instance, repository, sha256(content));
          assert.equal(read.status, 200, `${repository} on instance ${instance}`);
          assert.equal(read.bodyDigest, sha256(content));
        }
      }

      it('commits the same blob racing into two repositories on two instances, both with 201', async () => {
        const content = patternedBytes(256 * 1024, SEED + 1);
        const digest = sha256(content);
        const repositories = ['team/app-a', 'team/app-b'];
        const locations = await Promise.all(
          repositories.map((repository, index) =>
            stage(`f06-${index}`, index, repository, content),
          ),
        );
        const answers = await Promise.all(
          repositories.map((repository, index) =>
            commit(`f06-${index}`, 1 - index, repository, locations[index]!, digest),
          ),
        );
        answers.forEach((answer, index) => {
          assert.equal(answer.status, 201, repositories[index]);
          assert.equal(locationPathOf(answer), `/v2/${repositories[index]}/blobs/${digest}`);
        });
        for (const repository of repositories) {
          await assertServedEverywhere(repository, content);
        }
      });

      it('commits the same blob racing four times into one repository, every one with 201', async () => {
        const content = patternedBytes(128 * 1024, SEED + 2);
        const digest = sha256(content);
        const locations = await Promise.all(
          [0, 1, 2, 3].map((index) =>
            stage(`f06-same-${index}`, index % 2, 'team/shared', content),
          ),
        );
        const answers = await Promise.all(
          locations.map((location, index) =>
            commit(`f06-same-${index}`, (index + 1) % 2, 'team/shared', location, digest),
          ),
        );
        assert.deepEqual(
          answers.map((answer) => answer.status),
          [201, 201, 201, 201],
        );
        await assertServedEverywhere('team/shared', content);
      });

      it('commits a blob with 201 while another instance mounts the same digest into the repository', async () => {
        const content = patternedBytes(64 * 1024, SEED + 3);
        const digest = sha256(content);
        const base = await stage('f06-base', 0, 'team/base', content);
        assert.equal((await commit('f06-base', 1, 'team/base', base, digest)).status, 201);
        const location = await stage('f06-racing', 0, 'team/racing', content);
        const [put, mount] = await Promise.all([
          commit('f06-racing', 0, 'team/racing', location, digest),
          log.send('f06-mount', 1, {
            action: 'mount-blob',
            method: 'POST',
            path: `/v2/team/racing/blobs/uploads/?mount=${digest}&from=team/base`,
            repository: 'team/racing',
            digest,
          }),
        ]);
        assert.equal(put.status, 201);
        assert.equal(mount.status, 201);
        await assertServedEverywhere('team/racing', content);
      });
    });
  });
}

/** Fails with every violation listed (the first 20) when there is any. */
function assertNone(violations: readonly string[]): void {
  assert.deepEqual(violations.slice(0, 20), [], `${violations.length} violations`);
}

/**
 * Every few seconds while the clients work, several uploads of one new digest (into one
 * repository and into others, staged on one instance and committed on either) send their
 * closing PUTs at the same moment. Records each burst's digest in `digests`.
 */
async function runBursts(log: ExchangeLog, world: ProofWorld, digests: string[]): Promise<void> {
  for (let burst = 0; burst < BURSTS; burst++) {
    await sleep(WORK_MS / (BURSTS + 1));
    // One burst is large enough to be assembled from copy parts on S3 (5 MiB parts there).
    const size = burst === LARGE_BURST ? LARGE_CONTENT_BYTES : 48 * 1024 + burst;
    const content = patternedBytes(size, SEED + 100 + burst);
    const uploads = Array.from({ length: UPLOADS_PER_BURST }, (_, index) => ({
      repository: index % 2 === 0 ? 'proof/burst' : `proof/burst-${index}`,
      client: new ProofClient(
        `burst${burst}-${index}`,
        log,
        world,
        SEED * 1000 + burst * 10 + index,
      ),
    }));
    const staged = await Promise.all(
      uploads.map(({ client, repository }) => client.stageUpload(repository, content)),
    );
    await Promise.all(
      uploads.map(({ client, repository }, index) => {
        const location = staged[index];
        return (
          location &&
          client.commitUpload(repository, location, content.subarray(location.staged), content)
        );
      }),
    );
    digests.push(sha256(content));
  }
}

/** GETs everything that must still be there from every instance, a few at a time. */
async function readSurvivors(log: ExchangeLog): Promise<Exchange[]> {
  const { blobs, manifests } = mustStillShow(log);
  const reads = [
    ...blobs.map((push) => ({ kind: 'blobs' as const, push })),
    ...manifests.map((push) => ({ kind: 'manifests' as const, push })),
  ].flatMap((read) => log.urls.map((_, instance) => ({ ...read, instance })));
  const results: Exchange[] = [];
  const worker = async (): Promise<void> => {
    for (let read = reads.pop(); read !== undefined; read = reads.pop()) {
      const { kind, push, instance } = read;
      results.push(await readContent(log, 'final', instance, push.repository, push.digest!, kind));
    }
  };
  await Promise.all(Array.from({ length: FINAL_READ_CONCURRENCY }, worker));
  return results;
}

/**
 * GETs a blob or manifest by digest, once: the registry resumes a storage stream that
 * breaks off, so a broken body is a failure like any other.
 */
function readContent(
  log: ExchangeLog,
  client: string,
  instance: number,
  repository: string,
  digest: string,
  kind: 'blobs' | 'manifests' = 'blobs',
): Promise<Exchange> {
  return log.send(client, instance, {
    action: kind === 'blobs' ? 'get-blob' : 'get-manifest',
    method: 'GET',
    path: `/v2/${repository}/${kind}/${digest}`,
    repository,
    digest,
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
}

/** The path a Location names, resolved as a client would (relative or absolute alike). */
function locationPathOf(exchange: Exchange): string | undefined {
  const location = exchange.location;
  return location === undefined ? undefined : new URL(location, 'http://registry').pathname;
}
