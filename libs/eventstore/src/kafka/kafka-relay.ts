import type { Kafka, Producer } from 'kafkajs';
import type { EventConsumer } from '../consumers/event-consumer';
import type { RecordedEvent } from '../recorded-event';
import { encodeEvent } from './event-codec';

/**
 * Publishes committed events from the Postgres log to Kafka. It is itself a consumer of the
 * log, fed by a PostgresLogSubscription, so it inherits the gap-safe reading and the
 * checkpoint: a batch counts as published only once every broker acknowledged it, and a
 * relay that dies before that publishes the batch again (consumers deduplicate by event
 * id). Messages are keyed by stream, so one repository's events share a partition and stay
 * in order; the idempotent producer keeps retries from reordering them.
 */
export class KafkaRelay implements EventConsumer {
  readonly name = 'kafka-relay';
  private producer?: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    const producer = await this.connectedProducer();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((event) => ({
        key: event.stream,
        value: encodeEvent(event),
        // When the event happened, not when it was published: a consumer's lag in seconds
        // then counts the relay's delay too, as the Postgres transport's does.
        timestamp: timestampOf(event),
        headers: { 'event-id': event.eventId, 'event-type': event.type },
      })),
    });
  }

  /** Nothing to forget: republishing from 0 is what a reset checkpoint already does. */
  async reset(): Promise<void> {}

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer === undefined) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }
}

/** The event's time in epoch milliseconds, as Kafka takes it; undefined (now) when unreadable. */
function timestampOf(event: RecordedEvent): string | undefined {
  const time = Date.parse(event.metadata.time);
  return Number.isNaN(time) ? undefined : String(time);
}
