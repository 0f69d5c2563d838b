import type { EventOf } from '@tidemark/events';
import { EventStore } from '@tidemark/eventstore';
import { repositoryStream } from '@tidemark/state';
import {
  descriptorOf,
  imageManifest,
  OCI_MANIFEST,
  OciClient,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';

// Many clients push different manifests to one tag at once. Every push must succeed, and
// the log must tell one consistent story of the tag: each move starts where the one before
// it ended, and the tag ends where the last move put it.

const REPOSITORY = 'concurrent/tags';
const TAG = 'latest';
const PUSHES = 24;
const CONFIG = JSON.stringify({ architecture: 'amd64', os: 'linux' });
const LAYER = 'the layer every pushed manifest shares';

describe('concurrent pushes to one tag', () => {
  let registry: TestRegistry;
  let statuses: number[];
  let pushed: string[];
  let moves: EventOf<'TagMoved'>['payload'][];

  before(async () => {
    registry = await startTestRegistry();
    const client = new OciClient(registry.url);
    await client.pushBlob(REPOSITORY, CONFIG);
    await client.pushBlob(REPOSITORY, LAYER);
    const manifests = Array.from({ length: PUSHES }, (_, index) =>
      JSON.stringify(
        imageManifest(descriptorOf(CONFIG), [descriptorOf(LAYER)], {
          annotations: { push: String(index) },
        }),
      ),
    );
    const headers = { 'Content-Type': OCI_MANIFEST };
    statuses = await Promise.all(
      manifests.map(async (body) => {
        const response = await client.request('PUT', `/v2/${REPOSITORY}/manifests/${TAG}`, {
          headers,
          body,
        });
        return response.status;
      }),
    );
    pushed = manifests.map((manifest) => sha256(manifest));
    const events = await new EventStore(registry.database).readStream(repositoryStream(REPOSITORY));
    moves = events
      .filter((event): event is typeof event & EventOf<'TagMoved'> => event.type === 'TagMoved')
      .map((event) => event.payload)
      .filter((move) => move.tag === TAG);
  });

  after(async () => {
    await registry.close();
  });

  it('accepts every push', () => {
    assert.deepEqual(
      statuses,
      pushed.map(() => 201),
    );
  });

  it('records one move of the tag per push', () => {
    assert.deepEqual(moves.map((move) => move.digest).sort(), [...pushed].sort());
  });

  it('records a chain of moves, each from where the one before it left the tag', () => {
    assert.equal(moves[0]?.previousDigest, null);
    for (let index = 1; index < moves.length; index++) {
      assert.equal(moves[index]!.previousDigest, moves[index - 1]!.digest, `move ${index}`);
    }
  });

  it('leaves the tag where the last move put it', async () => {
    const last = moves[moves.length - 1]!.digest;
    const client = new OciClient(registry.url);
    const headers = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
    const response = await client.request('GET', `/v2/${REPOSITORY}/manifests/${TAG}`, { headers });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-content-digest'), last);
    const rows = await registry.database.query<{ digest: string }>(
      'SELECT digest FROM tags WHERE repository = $1 AND tag = $2',
      [REPOSITORY, TAG],
    );
    assert.deepEqual(rows, [{ digest: last }]);
  });
});
