import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { consumerLockKey } from '@tidemark/eventstore';
import {
  createTestDatabase,
  OciClient,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';
import { Client } from 'pg';

interface ConsumerStatus {
  readonly name: string;
  readonly transport: string;
  readonly lagEvents: number;
  readonly lagSeconds: number | null;
}

describe('GET /api/v1/consumers on the Postgres log', () => {
  let registry: TestRegistry;
  let client: OciClient;
  let holder: Client;

  before(async () => {
    const url = await createTestDatabase();
    // Holding tag-history's lock before the registry starts keeps its subscription a standby.
    holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [consumerLockKey('tag-history')]);
    registry = await startTestRegistry({ database: { url, poolSize: 10, embeddedPort: 0 } });
    client = new OciClient(registry.url);
  });

  after(async () => {
    await holder?.end();
    await registry?.close();
  });

  async function tagHistoryStatus(): Promise<ConsumerStatus> {
    const response = await client.request('GET', '/api/v1/consumers');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { consumers: ConsumerStatus[] };
    return body.consumers.find((consumer) => consumer.name === 'tag-history')!;
  }

  it('reports events and seconds behind for a consumer held back, and 0 once it catches up', async () => {
    await client.pushImage('team/lag', 'v1', 'layer one');
    await client.pushImage('team/lag', 'v2', 'layer two');
    await delay(1100);

    const held = await tagHistoryStatus();
    const [recorded] = await registry.database.query<{ count: string }>(
      'SELECT count(*) FROM events',
    );
    assert.equal(held.transport, 'postgres');
    assert.equal(held.lagEvents, Number(recorded!.count));
    assert.ok(held.lagSeconds !== null && held.lagSeconds >= 1, `lag ${held.lagSeconds} s`);

    await holder.query('SELECT pg_advisory_unlock_all()');
    const deadline = Date.now() + 30_000;
    let status = await tagHistoryStatus();
    while (status.lagEvents > 0 && Date.now() < deadline) {
      await delay(100);
      status = await tagHistoryStatus();
    }
    assert.deepEqual([status.lagEvents, status.lagSeconds], [0, 0]);
  });
});
