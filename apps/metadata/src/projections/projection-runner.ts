import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Database } from '@tidemark/db';
import { PostgresLogSubscription, type EventConsumer } from '@tidemark/eventstore';
import { createProjections } from './create-projections';

/**
 * Runs the asynchronous projections for as long as the app runs. Standalone, they read the
 * Postgres log directly; every instance starts them, and one per projection is active at a
 * time while the others stand by.
 */
@Injectable()
export class ProjectionRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionRunner.name);
  readonly consumers: readonly EventConsumer[];
  private readonly subscriptions: PostgresLogSubscription[];

  constructor(database: Database) {
    this.consumers = createProjections(database);
    this.subscriptions = this.consumers.map(
      (consumer) =>
        new PostgresLogSubscription(database, consumer, {
          onError: (error) => this.logger.error(`consumer ${consumer.name} failed a batch: ${String(error)}`),
        }),
    );
  }

  /** Returns the consumer called `name`, if this app runs one. */
  find(name: string): EventConsumer | undefined {
    return this.consumers.find((consumer) => consumer.name === name);
  }

  onApplicationBootstrap(): void {
    this.subscriptions.forEach((subscription) => subscription.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => subscription.stop()));
  }
}
