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

  /**
   * Locks a repository's stream until `tx` ends and returns its version. Writers of one
   * repository then take turns: the checks a handler makes after this call (is the blob
   * linked? where does the tag point?) still hold when it records. Purely optimistic
   * retries starved under a dozen concurrent pushes to one repository.
   */
  async lockStream(tx: Transaction, repository: string): Promise<number> {
    return this.store.lockStream(tx, repositoryStream(repository));
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
