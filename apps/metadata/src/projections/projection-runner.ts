import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import { Database } from '@tidemark/db';
import {
  createKafka,
  KafkaRelay,
  KafkaSubscription,
  measureLag,
  PostgresLogSubscription,
  type EventConsumer,
} from '@tidemark/eventstore';
import { LOGGER } from '@tidemark/observability';
import type { Logger } from 'pino';
import { createProjections } from './create-projections';

/** Where a consumer stands, whichever transport feeds it. */
export interface ConsumerStatus {
  readonly name: string;
  readonly transport: 'postgres' | 'kafka';
  readonly lagEvents: number;
  /** Age of the oldest event not applied yet; null where the transport cannot tell. */
  readonly lagSeconds: number | null;
}

/**
 * Runs the asynchronous projections for as long as the app runs. Without Kafka they read
 * the Postgres log directly; one instance per projection is active and the others stand
 * by. With Kafka, a relay (likewise one active instance) publishes the log to the topic
 * and each projection is a consumer group that spreads the partitions over instances.
 */
@Injectable()
export class ProjectionRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  readonly consumers: readonly EventConsumer[];
  private readonly logSubscriptions: PostgresLogSubscription[] = [];
  private readonly kafkaSubscriptions = new Map<string, KafkaSubscription>();
  private relay?: KafkaRelay;

  constructor(
    private readonly database: Database,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.consumers = createProjections(database);
    this.logger = logger.child({ context: ProjectionRunner.name });
  }

  async onApplicationBootstrap(): Promise<void> {
    const brokers = this.config.kafka.brokers;
    if (brokers === undefined) {
      this.consumers.forEach((consumer) => this.followLog(consumer));
      return;
    }
    const kafka = createKafka({ ...this.config.kafka, brokers }, this.logger);
    this.relay = new KafkaRelay(kafka, this.config.kafka.topic);
    this.followLog(this.relay);
    for (const consumer of this.consumers) {
      const subscription = new KafkaSubscription({
        kafka,
        topic: this.config.kafka.topic,
        target: consumer,
        database: this.database,
        logger: this.logger,
        pauseBeforeCommitMs: this.config.faultTests.pauseBeforeCommitMs,
      });
      await subscription.start();
      this.kafkaSubscriptions.set(consumer.name, subscription);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.logSubscriptions.map((subscription) => subscription.stop()));
    await Promise.all(
      [...this.kafkaSubscriptions.values()].map((subscription) => subscription.stop()),
    );
    await this.relay?.close();
  }

  /** Reports every consumer's lag, the relay's included when Kafka is in use. */
  async status(): Promise<ConsumerStatus[]> {
    const fromLog = this.relay ? [this.relay] : this.consumers;
    const statuses: ConsumerStatus[] = [];
    for (const consumer of fromLog) {
      const lag = await measureLag(this.database.pool, consumer.name);
      statuses.push({
        name: consumer.name,
        transport: 'postgres',
        lagEvents: lag.events,
        lagSeconds: lag.seconds,
      });
    }
    for (const [name, subscription] of this.kafkaSubscriptions) {
      const lag = await subscription.lag();
      statuses.push({ name, transport: 'kafka', lagEvents: lag.events, lagSeconds: lag.seconds });
    }
    return statuses;
  }

  private followLog(consumer: EventConsumer): void {
    const subscription = new PostgresLogSubscription(this.database, consumer, {
      logger: this.logger,
      pauseBeforeCheckpointMs: this.config.faultTests.pauseBeforeCheckpointMs,
    });
    subscription.start();
    this.logSubscriptions.push(subscription);
  }
}
