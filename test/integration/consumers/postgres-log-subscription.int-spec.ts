import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Database, migrate } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import {
  consumerLockKey,
  EventStore,
  PostgresLogSubscription,
  type EventConsumer,
  type RecordedEvent,
} from '@tidemark/eventstore';
import { captureLogs, createTestDatabase, waitUntil } from '@tidemark/testing';

const TEST_CONNECTIONS = 'subscription-test-admin';

/** Remembers the ids of the events it was handed. */
class RecordingConsumer implements EventConsumer {
  readonly name = `subscription-test-${randomBytes(4).toString('hex')}`;
  readonly received = new Set<string>();

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    events.forEach((event) => this.received.add(event.eventId));
  }

  async reset(): Promise<void> {}
}

describe(PostgresLogSubscription.name, () => {
  let database: Database;
  let admin: Database;
  let store: EventStore;
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  before(async () => {
    const url = await createTestDatabase();
    database = Database.connect(url, 6);
    // The test's own connections are named, so that cutting the others spares them.
    admin = Database.connect(`${url}?application_name=${TEST_CONNECTIONS}`, 2);
    await migrate(database);
    store = new EventStore(admin);
    process.on('unhandledRejection', recordUnhandled);
  });

  after(async () => {
    process.off('unhandledRejection', recordUnhandled);
    await database?.close();
    await admin?.close();
  });

  async function appendEvent(): Promise<string> {
    const repository = `team/${randomBytes(4).toString('hex')}`;
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    const metadata = { actor: 'test', requestId: 'r', time: new Date().toISOString() };
    const [event] = await admin.transaction((tx) =>
      store.append(
        tx,
        `repository:${repository}`,
        'any',
        [registryEvent('BlobPushed', { repository, digest, size: 1 })],
        metadata,
      ),
    );
    return event!.eventId;
  }

  /** The backends holding the consumer's advisory lock. */
  async function lockHolders(consumer: EventConsumer): Promise<number[]> {
    const rows = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [consumerLockKey(consumer.name)],
    );
    return rows.map((row) => row.pid);
  }

  /** Terminates every backend of the test database except the test's own. */
  async function terminateBackends(): Promise<number> {
    // In the select list, not the WHERE clause: there the planner may run it before the filter.
    const rows = await admin.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
       WHERE datname = current_database() AND application_name <> $1`,
      [TEST_CONNECTIONS],
    );
    return rows.filter((row) => row.terminated).length;
  }

  it('takes its lock again and keeps delivering after its lock connection is terminated', async () => {
    const consumer = new RecordingConsumer();
    const logs = captureLogs();
    const sut = new PostgresLogSubscription(database, consumer, {
      idleMs: 50,
      maxBackoffMs: 500,
      logger: logs.logger,
    });
    try {
      sut.start();
      const first = await appendEvent();
      await waitUntil(() => consumer.received.has(first), 'the first event is delivered');
      const [holder] = await lockHolders(consumer);
      assert.ok(holder !== undefined, 'the leader holds its lock');

      await admin.query('SELECT pg_terminate_backend($1)', [holder]);

      const second = await appendEvent();
      await waitUntil(() => consumer.received.has(second), 'an event after the loss is delivered');
      await waitUntil(async () => (await lockHolders(consumer)).length === 1, 'the lock is held');
      assert.notEqual((await lockHolders(consumer))[0], holder);
      assert.ok(logs.withMessage('consumer lock connection failed').length > 0);
      assert.deepEqual(unhandled, []);
    } finally {
      await sut.stop();
    }
  });

  it('recovers leader and standby when every connection is cut, with one of them leading', async () => {
    const consumer = new RecordingConsumer();
    const options = { idleMs: 50, maxBackoffMs: 500 };
    const leader = new PostgresLogSubscription(database, consumer, options);
    const standby = new PostgresLogSubscription(database, consumer, options);
    try {
      leader.start();
      const first = await appendEvent();
      await waitUntil(() => consumer.received.has(first), 'the leader delivers');
      standby.start();
      await delay(300);

      assert.ok((await terminateBackends()) >= 2, 'the lock and standby connections were cut');

      const later = await Promise.all([appendEvent(), appendEvent(), appendEvent()]);
      await waitUntil(() => later.every((id) => consumer.received.has(id)), 'later events arrive');
      assert.equal((await lockHolders(consumer)).length, 1);
      await leader.stop();
      const last = await appendEvent();
      await waitUntil(() => consumer.received.has(last), 'the remaining one delivers alone');
      assert.deepEqual(unhandled, []);
    } finally {
      await Promise.all([leader.stop(), standby.stop()]);
    }
  });
});
