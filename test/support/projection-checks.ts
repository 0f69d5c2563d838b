import { strict as assert } from 'node:assert';
import type { Database } from '@tidemark/db';
import type { OciClient } from './oci-client';

/** Every row of the projections, in a stable order, for comparing two ways of building them. */
export async function projectionSnapshot(database: Database): Promise<unknown[]> {
  return [
    await database.query(
      `SELECT repository, manifest_count, tag_count, blob_count, last_push_at
       FROM projection_repository_stats ORDER BY repository`,
    ),
    await database.query(
      `SELECT event_id, position, repository, tag, action, digest, previous_digest, actor
       FROM projection_tag_history ORDER BY position`,
    ),
  ];
}

/** Polls the consumers' admin view until every consumer has applied every event. */
export async function waitUntilCaughtUp(client: OciClient, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await client.request('GET', '/api/v1/consumers');
    const body = (await response.json()) as { consumers: { lagEvents: number }[] };
    last = body;
    if (body.consumers.length > 0 && body.consumers.every((consumer) => consumer.lagEvents === 0)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`consumers did not catch up within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/**
 * The projections as the event log says they must be, computed in SQL straight from
 * `events`, next to what the projections hold, in the same shape: an event applied twice
 * shows as a count too high, one never applied as a count too low or a missing history row.
 */
export async function projectionsAgainstLog(
  database: Database,
): Promise<{ expected: unknown[]; actual: unknown[] }> {
  const expected = [
    await database.query(
      `SELECT payload->>'repository' COLLATE "C" AS repository,
              count(*) FILTER (WHERE type = 'ManifestPushed')
                - count(*) FILTER (WHERE type = 'ManifestDeleted') AS manifests,
              count(*) FILTER (WHERE type = 'TagMoved' AND payload->'previousDigest' = 'null')
                - count(*) FILTER (WHERE type = 'TagDeleted') AS tags,
              count(*) FILTER (WHERE type IN ('BlobPushed', 'BlobMounted'))
                - count(*) FILTER (WHERE type = 'BlobUnlinked') AS blobs,
              max((metadata->>'time')::timestamptz) FILTER (WHERE type = 'ManifestPushed')
                AS last_push_at
       FROM events GROUP BY 1 ORDER BY 1`,
    ),
    await database.query(
      `SELECT event_id, position, payload->>'repository' AS repository, payload->>'tag' AS tag,
              CASE type WHEN 'TagMoved' THEN 'moved' ELSE 'deleted' END AS action,
              payload->>'digest' AS digest,
              CASE type WHEN 'TagMoved' THEN payload->>'previousDigest'
                        ELSE payload->>'digest' END AS previous_digest,
              metadata->>'actor' AS actor
       FROM events WHERE type IN ('TagMoved', 'TagDeleted') ORDER BY position`,
    ),
  ];
  const actual = [
    await database.query(
      `SELECT repository, manifest_count AS manifests, tag_count AS tags, blob_count AS blobs,
              last_push_at
       FROM projection_repository_stats ORDER BY repository`,
    ),
    await database.query(
      `SELECT event_id, position, repository, tag, action, digest, previous_digest, actor
       FROM projection_tag_history ORDER BY position`,
    ),
  ];
  return { expected, actual };
}
