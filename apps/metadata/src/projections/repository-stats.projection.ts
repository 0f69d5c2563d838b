import type { Transaction } from '@tidemark/db';
import { Projection, type RecordedEvent } from '@tidemark/eventstore';

/** How each event type changes a repository's counts. */
const COUNT_CHANGES: Partial<Record<RecordedEvent['type'], { column: string; delta: number }>> = {
  ManifestPushed: { column: 'manifest_count', delta: 1 },
  ManifestDeleted: { column: 'manifest_count', delta: -1 },
  TagDeleted: { column: 'tag_count', delta: -1 },
  BlobPushed: { column: 'blob_count', delta: 1 },
  BlobMounted: { column: 'blob_count', delta: 1 },
  BlobUnlinked: { column: 'blob_count', delta: -1 },
};

/**
 * The catalog with counts: manifests, tags and blobs per repository, and the time of the
 * last manifest push. Counts are sums of per-event changes, so the order in which events
 * of different repositories arrive does not matter.
 */
export class RepositoryStatsProjection extends Projection {
  readonly name = 'repository-stats';
  protected readonly tables = ['projection_repository_stats'];

  protected async apply(tx: Transaction, event: RecordedEvent): Promise<void> {
    const change =
      event.type === 'TagMoved'
        ? event.payload.previousDigest === null
          ? { column: 'tag_count', delta: 1 }
          : undefined
        : COUNT_CHANGES[event.type];
    const pushedAt = event.type === 'ManifestPushed' ? event.metadata.time : null;
    await tx.query(
      `INSERT INTO projection_repository_stats (repository, last_push_at) VALUES ($1, $2)
       ON CONFLICT (repository) DO UPDATE
       SET last_push_at = GREATEST(projection_repository_stats.last_push_at, EXCLUDED.last_push_at)`,
      [event.payload.repository, pushedAt],
    );
    if (change !== undefined) {
      await tx.query(
        `UPDATE projection_repository_stats SET ${change.column} = ${change.column} + $2
         WHERE repository = $1`,
        [event.payload.repository, change.delta],
      );
    }
  }
}
