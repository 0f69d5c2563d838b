import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Database, migrate } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import { EventStore, GapSafeReader } from '@tidemark/eventstore';
import { createTestDatabase } from '@tidemark/testing';

const metadata = { actor: 'test', requestId: 'r', time: new Date().toISOString() };

function pushed(repository: string, n: number) {
  const digest = `sha256:${n.toString(16).padStart(64, '0')}`;
  return registryEvent('BlobPushed', { repository, digest, size: n });
}

describe(GapSafeReader.name, () => {
  let database: Database;
  let store: EventStore;

  before(async () => {
    database = Database.connect(await createTestDatabase(), 10);
    await migrate(database);
    store = new EventStore(database);
  });

  after(async () => {
    await database.close();
  });

  /** Opens a transaction that appends one event and waits for `finish` to commit or roll back. */
  async function openAppend(stream: string, n: number) {
    const client = await database.pool.connect();
    await client.query('BEGIN');
    const [event] = await store.append(client, stream, 'any', [pushed(stream, n)], metadata);
    return {
      position: event!.position,
      commit: async () => {
        await client.query('COMMIT');
        client.release();
      },
      rollback: async () => {
        await client.query('ROLLBACK');
        client.release();
      },
    };
  }

  async function appendCommitted(stream: string, n: number): Promise<bigint> {
    const events = await database.transaction((tx) =>
      store.append(tx, stream, 'any', [pushed(stream, n)], metadata),
    );
    return events[0]!.position;
  }

  it('holds back a later position until an earlier transaction commits, then delivers both in order', async () => {
    const reader = new GapSafeReader(database);
    const start = (await reader.readAfter(0n)).position;
    const slow = await openAppend('repository:slow', 1);
    const fast = await appendCommitted('repository:fast', 2);
    assert.ok(fast > slow.position);

    const whileOpen = await reader.readAfter(start);
    assert.deepEqual(
      whileOpen.events.map((event) => event.position),
      [],
    );
    assert.equal(whileOpen.position, start);

    await slow.commit();
    const afterCommit = await reader.readAfter(start);
    assert.deepEqual(
      afterCommit.events.map((event) => event.position),
      [slow.position, fast],
    );
  });

  it('holds back a gap left by a younger transaction while an older one has committed after it', async () => {
    // The older transaction (A) gets its id first but draws its position last. While the
    // younger one (B) runs, A's id is the highest completed: the snapshot's xmax is then
    // B's id itself, and a reader that took xmax as the horizon would step over B's event.
    const reader = new GapSafeReader(database);
    const start = (await reader.readAfter(0n)).position;
    const older = await database.pool.connect();
    await older.query('BEGIN');
    await store.lockStream(older, 'repository:older');
    const younger = await openAppend('repository:younger', 5);
    const [committed] = await store.append(
      older,
      'repository:older',
      'any',
      [pushed('repository:older', 6)],
      metadata,
    );
    await older.query('COMMIT');
    older.release();
    assert.ok(committed!.position > younger.position);

    const whileOpen = await reader.readAfter(start);
    assert.deepEqual(whileOpen.events, []);

    await younger.commit();
    const afterCommit = await reader.readAfter(start);
    assert.deepEqual(
      afterCommit.events.map((event) => event.position),
      [younger.position, committed!.position],
    );
  });

  it('steps over a position whose transaction rolled back, once no transaction can still hold it', async () => {
    const reader = new GapSafeReader(database);
    const start = (await reader.readAfter(0n)).position;
    const doomed = await openAppend('repository:doomed', 3);
    const later = await appendCommitted('repository:later', 4);

    assert.deepEqual((await reader.readAfter(start)).events, []);
    await doomed.rollback();

    // Transaction ids are cluster-wide: a transaction of another suite running on the same
    // server can hold the horizon back for a moment, so look again until it has passed.
    let batch = await reader.readAfter(start);
    for (let tries = 0; batch.events.length === 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      batch = await reader.readAfter(start);
    }
    assert.deepEqual(
      batch.events.map((event) => event.position),
      [later],
    );
    assert.equal(batch.position, later);
    assert.ok(later > doomed.position);
  });

  it('never skips an event under many interleaved writers', async () => {
    const reader = new GapSafeReader(database, 7);
    // A new reader may still hold back at an earlier test's rolled-back position while another
    // suite's transaction is open, and so deliver earlier tests' events first: only this
    // test's streams count.
    let position = (await reader.readAfter(0n)).position;
    const delivered: bigint[] = [];
    const ours = (event: { stream: string }) => event.stream.startsWith('repository:w');
    const writers = Array.from({ length: 40 }, async (_, index) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50));
      const held = await openAppend(`repository:w${index % 5}`, 100 + index);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
      await (index % 7 === 0 ? held.rollback() : held.commit());
      return index % 7 === 0 ? undefined : held.position;
    });
    let isDone = false;
    const written = Promise.all(writers).finally(() => (isDone = true));
    while (!isDone) {
      const batch = await reader.readAfter(position);
      delivered.push(...batch.events.filter(ours).map((event) => event.position));
      position = batch.position;
    }
    const committed = (await written).filter((value): value is bigint => value !== undefined);
    const last = committed.reduce((a, b) => (a > b ? a : b));
    // A rolled-back position near the end stays held back while any older transaction on the
    // server is open (another suite's, say): an empty batch is not the end, the last
    // committed position is.
    const deadline = Date.now() + 10_000;
    while (position < last && Date.now() < deadline) {
      const batch = await reader.readAfter(position);
      delivered.push(...batch.events.filter(ours).map((event) => event.position));
      position = batch.position;
      if (batch.events.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.deepEqual(
      delivered,
      [...committed].sort((a, b) => (a < b ? -1 : 1)),
    );
  });
});
