import type { Database } from '@tidemark/db';
import { EventStore } from '@tidemark/eventstore';
import { StateProjector } from '@tidemark/state';

const BATCH = 1000;

/**
 * Empties the state tables and applies the whole event log to them again, in one
 * transaction: readers see the old state until the new one commits. Returns the number of
 * events applied. Writers wait for the table locks meanwhile, so run it in a quiet moment.
 */
export async function rebuildState(database: Database): Promise<number> {
  const store = new EventStore(database);
  const projector = new StateProjector();
  return database.transaction(async (tx) => {
    await projector.truncate(tx);
    let applied = 0;
    for (let after = 0n; ;) {
      const events = await store.readAfter(after, BATCH, tx);
      if (events.length === 0) {
        return applied;
      }
      for (const event of events) {
        await projector.apply(tx, event, event.metadata);
      }
      applied += events.length;
      after = events[events.length - 1]!.position;
    }
  });
}
