import type { Transaction } from '@tidemark/db';
import type { EventMetadata, RegistryEvent } from '@tidemark/events';
import { EventStore, type ExpectedVersion, type RecordedEvent } from '@tidemark/eventstore';
import { StateProjector } from './state-projector';

/** Returns the event stream of a repository. The prefix keeps room for other kinds of stream. */
export function repositoryStream(repository: string): string {
  return `repository:${repository}`;
}

/**
 * Appends events of one repository and applies them to the state tables in the same
 * transaction: the only way registry state changes.
 */
export class EventRecorder {
  constructor(
    private readonly store: EventStore,
    private readonly projector: StateProjector,
  ) {}

  /** Returns the version of a repository's stream, for an optimistic `record` later. */
  async versionOf(tx: Transaction, repository: string): Promise<number> {
    return this.store.streamVersion(tx, repositoryStream(repository));
  }

  /**
   * Records `events` on the repository's stream. Throws StreamConflictError when
   * `expectedVersion` is a number the stream has moved past; the caller retries the whole
   * transaction.
   */
  async record(
    tx: Transaction,
    repository: string,
    expectedVersion: ExpectedVersion,
    events: readonly RegistryEvent[],
    metadata: EventMetadata,
  ): Promise<RecordedEvent[]> {
    const stream = repositoryStream(repository);
    const recorded = await this.store.append(tx, stream, expectedVersion, events, metadata);
    for (const event of events) {
      await this.projector.apply(tx, event, metadata);
    }
    return recorded;
  }
}
