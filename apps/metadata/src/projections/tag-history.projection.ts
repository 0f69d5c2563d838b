import type { Transaction } from '@tidemark/db';
import { Projection, type RecordedEvent } from '@tidemark/eventstore';

/**
 * Who moved which tag, from what, to what, and when: one row per TagMoved or TagDeleted,
 * with the actor and request of the event. The audit API serves it.
 */
export class TagHistoryProjection extends Projection {
  readonly name = 'tag-history';
  protected readonly tables = ['projection_tag_history'];

  protected async apply(tx: Transaction, event: RecordedEvent): Promise<void> {
    if (event.type !== 'TagMoved' && event.type !== 'TagDeleted') {
      return;
    }
    const { metadata, payload } = event;
    const isMove = event.type === 'TagMoved';
    await tx.query(
      `INSERT INTO projection_tag_history (event_id, position, repository, tag, action, digest,
         previous_digest, actor, client_address, user_agent, request_id, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (event_id) DO NOTHING`,
      [
        event.eventId,
        event.position.toString(),
        payload.repository,
        payload.tag,
        isMove ? 'moved' : 'deleted',
        payload.digest,
        isMove ? event.payload.previousDigest : payload.digest,
        metadata.actor,
        metadata.clientAddress ?? null,
        metadata.userAgent ?? null,
        metadata.requestId,
        metadata.time,
      ],
    );
  }
}
