import type { Database, Transaction } from '@tidemark/db';
import type { RecordedEvent } from '../recorded-event';
import type { EventConsumer } from './event-consumer';

/**
 * A consumer whose output is tables in Postgres. Each batch is applied in one transaction
 * that also records the ids of the events applied, so an event delivered twice is applied
 * once, whichever transport delivered it.
 */
export abstract class Projection implements EventConsumer {
  abstract readonly name: string;
  /** The tables this projection owns; `reset` empties them. */
  protected abstract readonly tables: readonly string[];

  constructor(protected readonly database: Database) {}

  /** Applies one event inside the batch transaction. Only called once per event id. */
  protected abstract apply(tx: Transaction, event: RecordedEvent): Promise<void>;

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await this.database.transaction(async (tx) => {
      const fresh = await this.markApplied(tx, events);
      for (const event of events) {
        // A batch may hold one event twice (a relay that republished it after a crash, read
        // back together with the original): `delete` lets only the first copy through.
        if (fresh.delete(event.eventId)) {
          await this.apply(tx, event);
        }
      }
    });
  }

  async reset(): Promise<void> {
    await this.database.transaction(async (tx) => {
      await tx.query(`TRUNCATE ${this.tables.join(', ')}`);
      await tx.query('DELETE FROM consumer_applied_events WHERE consumer = $1', [this.name]);
    });
  }

  // TODO: consumer_applied_events keeps one row per event and consumer forever (about 50
  // bytes each, plus index). A row may only go once no transport can deliver its event
  // again, and nothing knows that bound yet: a Kafka group that is behind, a new group that
  // reads the topic from the start (after switching from the Postgres transport), or a
  // relay that republishes after a crash all redeliver events far below any checkpoint, and
  // a Kafka offset says nothing about the position of the event behind it. Pruning needs
  // each transport to record the lowest position it can still deliver. Keeping the last
  // applied version per stream instead was tried: a replay from 0 beside a live
  // subscription then skips events, since the live one records later versions first.
  private async markApplied(
    tx: Transaction,
    events: readonly RecordedEvent[],
  ): Promise<Set<string>> {
    const { rows } = await tx.query<{ event_id: string }>(
      `INSERT INTO consumer_applied_events (consumer, event_id)
       SELECT $1, id FROM unnest($2::uuid[]) AS id
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [this.name, events.map((event) => event.eventId)],
    );
    return new Set(rows.map((row) => row.event_id));
  }
}
