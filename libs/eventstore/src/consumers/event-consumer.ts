import type { RecordedEvent } from '../recorded-event';

/**
 * Something that reacts to committed events in another process or later in time: a
 * projection, garbage collection, webhooks. It receives every event at least once, in
 * stream order, in batches; it must be idempotent, since a batch is redelivered when the
 * consumer or its transport stops between applying it and recording that it did.
 */
export interface EventConsumer {
  /** A stable name: the checkpoint key and the Kafka consumer group. */
  readonly name: string;
  /** Applies a batch. Throwing leaves the batch to be delivered again. */
  handle(events: readonly RecordedEvent[]): Promise<void>;
  /** Forgets everything applied, so that a replay from position 0 rebuilds from scratch. */
  reset(): Promise<void>;
}
