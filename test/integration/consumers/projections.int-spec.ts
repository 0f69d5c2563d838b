import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  EventStore,
  PostgresLogSubscription,
  replayConsumer,
  type EventConsumer,
} from '@tidemark/eventstore';
import { OciClient, startTestRegistry, type TestRegistry } from '@tidemark/testing';
import { createProjections } from '../../../apps/metadata/src/projections/create-projections';

describe('asynchronous projections on the Postgres log', () => {
  let registry: TestRegistry;
  let client: OciClient;
  let consumers: EventConsumer[];

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    consumers = createProjections(registry.database);
    await client.pushImage('team/app', 'v1', 'layer one');
    await client.pushImage('team/app', 'v2', 'layer two');
    await client.pushImage('team/app', 'v1', 'layer three');
    await client.pushImage('team/other', 'latest', 'layer one');
    const deleted = await client.request('DELETE', '/v2/team/app/manifests/v2');
    assert.equal(deleted.status, 202);
  });

  after(async () => {
    await registry.close();
  });

  async function snapshot(): Promise<unknown[]> {
    const stats = await registry.database.query(
      'SELECT repository, manifest_count, tag_count, blob_count FROM projection_repository_stats ORDER BY repository',
    );
    const history = await registry.database.query(
      'SELECT repository, tag, action, digest, previous_digest, actor, position FROM projection_tag_history ORDER BY position',
    );
    return [stats, history];
  }

  async function drainAll(): Promise<void> {
    for (const consumer of consumers) {
      await new PostgresLogSubscription(registry.database, consumer).drain();
    }
  }

  it('counts manifests, tags and blobs per repository as the state tables do', async () => {
    await drainAll();
    const [stats] = (await snapshot()) as [Record<string, string>[]];
    const app = stats.find((row) => row.repository === 'team/app')!;
    const state = await registry.database.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM manifests WHERE repository = 'team/app') AS manifests,
              (SELECT count(*) FROM tags WHERE repository = 'team/app') AS tags,
              (SELECT count(*) FROM repository_blobs WHERE repository = 'team/app') AS blobs`,
    );
    assert.deepEqual(
      [Number(app.manifest_count), Number(app.tag_count), Number(app.blob_count)],
      [Number(state[0]!.manifests), Number(state[0]!.tags), Number(state[0]!.blobs)],
    );
  });

  it('records every tag move and delete with its previous digest and actor', async () => {
    await drainAll();
    const history = await registry.database.query<Record<string, string | null>>(
      `SELECT tag, action, digest, previous_digest, actor FROM projection_tag_history
       WHERE repository = 'team/app' ORDER BY position`,
    );
    assert.deepEqual(
      history.map((row) => [row.tag, row.action]),
      [
        ['v1', 'moved'],
        ['v2', 'moved'],
        ['v1', 'moved'],
        ['v2', 'deleted'],
      ],
    );
    assert.equal(history[0]!.previous_digest, null);
    assert.equal(history[2]!.previous_digest, history[0]!.digest);
    assert.ok(history.every((row) => row.actor === 'anonymous'));
  });

  it('changes nothing when the same events are delivered again', async () => {
    await drainAll();
    const before = await snapshot();
    const events = await new EventStore(registry.database).readAfter(0n, 10_000);
    for (const consumer of consumers) {
      await consumer.handle(events);
      await consumer.handle(events.slice(3, 9));
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('rebuilds each projection from position 0 to the same result', async () => {
    await drainAll();
    const before = await snapshot();
    for (const consumer of consumers) {
      await replayConsumer(registry.database, consumer);
    }
    assert.deepEqual(await snapshot(), before);
  });

  it('reports each consumer caught up through the admin API', async () => {
    await drainAll();
    const response = await client.request('GET', '/api/v1/consumers');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { consumers: { name: string; lagEvents: number }[] };
    assert.deepEqual(body.consumers.map((consumer) => consumer.name).sort(), [
      'repository-stats',
      'tag-history',
    ]);
    assert.ok(body.consumers.every((consumer) => consumer.lagEvents === 0));
  });
});
