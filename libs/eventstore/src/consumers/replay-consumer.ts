import type { Database } from '@tidemark/db';
import { CheckpointRepository } from './checkpoint.repository';
import type { EventConsumer } from './event-consumer';
import { PostgresLogSubscription } from './postgres-log-subscription';

/**
 * Rebuilds a consumer from position 0 while the registry keeps serving: forgets what it
 * applied, moves its checkpoint to 0, and delivers the whole log to it. A subscription
 * running elsewhere sees its checkpoint moved, re-reads from 0 as well, and the duplicates
 * that causes are absorbed by the consumer's idempotency.
 */
export async function replayConsumer(database: Database, consumer: EventConsumer): Promise<void> {
  await consumer.reset();
  await new CheckpointRepository(database.pool).set(consumer.name, 0n);
  await new PostgresLogSubscription(database, consumer).drain();
}
