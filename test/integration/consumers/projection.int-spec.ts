import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Database, migrate, type Transaction } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import { EventStore, Projection, type RecordedEvent } from '@tidemark/eventstore';
import { createTestDatabase } from '@tidemark/testing';

// Projections are at-least-once consumers made idempotent by consumer_applied_events, in the
// same transaction as their own tables. These cases run that bookkeeping on real Postgres,
// with a projection whose table keeps every application, duplicates included.

const metadata = {
  actor: 'anonymous',
  requestId: 'projection-test',
  time: new Date().toISOString(),
};

/** Appends a row per application to its own table, so a second application shows. */
class RecordingProjection extends Projection {
  protected readonly tables: readonly string[];
  /** Event ids whose next application throws once, as a crash mid-batch would. */
  readonly failOnce = new Set<string>();

  constructor(
    database: Database,
    readonly name: string,
  ) {
    super(database);
    this.tables = [`recorded_${name}`];
  }

  async createTable(): Promise<void> {
    await this.database.pool.query(
      `CREATE TABLE ${this.tables[0]} (seq serial PRIMARY KEY, event_id uuid NOT NULL)`,
    );
  }

  /** Every application of an event, in order, as committed. */
  async applied(): Promise<string[]> {
    const rows = await this.database.query<{ event_id: string }>(
      `SELECT event_id FROM ${this.tables[0]} ORDER BY seq`,
    );
    return rows.map((row) => row.event_id);
  }

  protected async apply(tx: Transaction, event: RecordedEvent): Promise<void> {
    await tx.query(`INSERT INTO ${this.tables[0]} (event_id) VALUES ($1)`, [event.eventId]);
    if (this.failOnce.delete(event.eventId)) {
      throw new Error('projection failed mid-batch');
    }
  }
}

function aTagMoved(tag: string) {
  const digest = `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}`;
  return registryEvent('TagMoved', { repository: 'team/app', tag, digest, previousDigest: null });
}

describe(Projection.name, () => {
  let database: Database;
  let events: RecordedEvent[];
  let projections = 0;

  before(async () => {
    database = Database.connect(await createTestDatabase(), 4);
    await migrate(database);
    const store = new EventStore(database);
    events = await database.transaction((tx) =>
      store.append(tx, 'repository:team/app', 'any', ['a', 'b', 'c'].map(aTagMoved), metadata),
    );
  });

  after(async () => {
    await database.close();
  });

  async function aProjection(): Promise<RecordingProjection> {
    projections += 1;
    const projection = new RecordingProjection(database, `recording_${projections}`);
    await projection.createTable();
    return projection;
  }

  const ids = (list: readonly RecordedEvent[]): string[] => list.map((event) => event.eventId);

  describe('handle', () => {
    it('applies an event that appears twice in one batch once', async () => {
      const sut = await aProjection();
      const [first, second] = events as [RecordedEvent, RecordedEvent];

      await sut.handle([first, second, first]);

      assert.deepEqual(await sut.applied(), ids([first, second]));
    });

    it('skips events applied in an earlier batch and applies the new ones', async () => {
      const sut = await aProjection();

      await sut.handle(events.slice(0, 2));
      await sut.handle(events);

      assert.deepEqual(await sut.applied(), ids(events));
    });

    it('applies a whole batch again when its first delivery failed part way', async () => {
      const sut = await aProjection();
      sut.failOnce.add(events[1]!.eventId);

      await assert.rejects(sut.handle(events), /projection failed mid-batch/);
      assert.deepEqual(await sut.applied(), []);
      await sut.handle(events);

      assert.deepEqual(await sut.applied(), ids(events));
    });

    it('keeps what one projection applied from making another skip it', async () => {
      const first = await aProjection();
      const sut = await aProjection();

      await first.handle(events);
      await sut.handle(events);

      assert.deepEqual(await sut.applied(), ids(events));
    });
  });

  describe('reset', () => {
    it('empties its tables and forgets what it applied, so the log applies again', async () => {
      const sut = await aProjection();
      await sut.handle(events);

      await sut.reset();
      assert.deepEqual(await sut.applied(), []);
      await sut.handle(events);

      assert.deepEqual(await sut.applied(), ids(events));
    });
  });
});
