import { strict as assert } from 'node:assert';
import type { Database } from '@tidemark/db';
import type { OciClient } from '@tidemark/testing';

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
