import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '@tidemark/db';
import { registryEvent, type EventOf } from '@tidemark/events';
import { EventStore } from '@tidemark/eventstore';
import { repositoryStream } from '@tidemark/state';

/** How many TagMoved events to append, where, and how. */
export interface FloodSettings {
  readonly events: number;
  readonly repositories: number;
  readonly tagsPerRepository: number;
  /** Events per transaction (one repository's stream each). */
  readonly batchSize: number;
  /** Concurrent writers; each owns a share of the repositories. */
  readonly writers: number;
}

/** What the writers did: how many events they committed, and in how long. */
export interface FloodResult {
  readonly events: number;
  readonly seconds: number;
}

/** One batch: a transaction's worth of events of one repository. */
interface Batch {
  readonly repository: string;
  readonly size: number;
}

/**
 * Appends TagMoved events straight to the log with `EventStore.append`, in one transaction
 * per batch, as fast as the writers can commit. The state tables are bypassed on purpose:
 * the projections read only the log, and the writers should outrun them.
 */
export async function appendTagMoves(
  database: Database,
  settings: FloodSettings,
  prefix: string,
): Promise<FloodResult> {
  const store = new EventStore(database);
  const shares = planBatches(settings, prefix);
  const startedAt = performance.now();
  await Promise.all(shares.map((batches) => writeBatches(database, store, batches, settings)));
  return { events: settings.events, seconds: (performance.now() - startedAt) / 1000 };
}

/** Splits the events into batches, round-robin over repositories, one share per writer. */
function planBatches(settings: FloodSettings, prefix: string): Batch[][] {
  const shares: Batch[][] = Array.from({ length: settings.writers }, () => []);
  for (let first = 0, index = 0; first < settings.events; first += settings.batchSize, index++) {
    const repositoryIndex = index % settings.repositories;
    shares[repositoryIndex % settings.writers]!.push({
      repository: `${prefix}-${repositoryIndex}`,
      size: Math.min(settings.batchSize, settings.events - first),
    });
  }
  return shares;
}

async function writeBatches(
  database: Database,
  store: EventStore,
  batches: readonly Batch[],
  settings: FloodSettings,
): Promise<void> {
  // A writer owns its repositories, so it alone knows where each of their tags points.
  const digests = new Map<string, string>();
  for (const batch of batches) {
    const events = Array.from({ length: batch.size }, (_, offset) =>
      moveTag(digests, batch.repository, `tag-${offset % settings.tagsPerRepository}`),
    );
    const metadata = { actor: 'bench', requestId: randomUUID(), time: new Date().toISOString() };
    await database.transaction((tx) =>
      store.append(tx, repositoryStream(batch.repository), 'any', events, metadata),
    );
  }
}

function moveTag(
  digests: Map<string, string>,
  repository: string,
  tag: string,
): EventOf<'TagMoved'> {
  const key = `${repository}:${tag}`;
  const previousDigest = digests.get(key) ?? null;
  const digest = `sha256:${createHash('sha256').update(`${key}:${randomUUID()}`).digest('hex')}`;
  digests.set(key, digest);
  return registryEvent('TagMoved', { repository, tag, digest, previousDigest });
}
