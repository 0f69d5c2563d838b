import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Database, Transaction } from '@tidemark/db';
import type { RecordedEvent } from '../recorded-event';
import { Projection } from './projection';

/** Stands in for Postgres: remembers applied ids the way consumer_applied_events does. */
function fakeDatabase(): Database {
  const applied = new Set<string>();
  const tx = {
    query: (text: string, values: unknown[]) => {
      if (!text.includes('INSERT INTO consumer_applied_events')) {
        throw new Error(`unexpected query: ${text}`);
      }
      const inserted = [...new Set(values[1] as string[])].filter((id) => !applied.has(id));
      inserted.forEach((id) => applied.add(id));
      return Promise.resolve({ rows: inserted.map((id) => ({ event_id: id })) });
    },
  };
  const transaction = <T>(work: (client: Transaction) => Promise<T>): Promise<T> =>
    work(tx as unknown as Transaction);
  return { transaction } as unknown as Database;
}

class RecordingProjection extends Projection {
  readonly name = 'recording';
  protected readonly tables = [];
  readonly applied: string[] = [];

  protected apply(_tx: Transaction, event: RecordedEvent): Promise<void> {
    this.applied.push(event.eventId);
    return Promise.resolve();
  }
}

function aTagMoved(eventId: string, position: bigint): RecordedEvent {
  return {
    type: 'TagMoved',
    payload: {
      repository: 'a',
      tag: 'v1',
      digest: `sha256:${'0'.repeat(64)}`,
      previousDigest: null,
    },
    position,
    eventId,
    stream: 'repository:a',
    streamVersion: Number(position),
    schemaVersion: 1,
    metadata: { actor: 'anonymous', requestId: 'request', time: '2026-01-01T00:00:00.000Z' },
  };
}

describe(Projection.name, () => {
  describe('handle', () => {
    it('applies an event that appears twice in one batch once', async () => {
      const sut = new RecordingProjection(fakeDatabase());
      const first = aTagMoved('00000000-0000-4000-8000-000000000001', 1n);
      const second = aTagMoved('00000000-0000-4000-8000-000000000002', 2n);

      await sut.handle([first, second, first]);

      assert.deepEqual(sut.applied, [first.eventId, second.eventId]);
    });

    it('skips an event applied in an earlier batch', async () => {
      const sut = new RecordingProjection(fakeDatabase());
      const event = aTagMoved('00000000-0000-4000-8000-000000000001', 1n);

      await sut.handle([event]);
      await sut.handle([event]);

      assert.deepEqual(sut.applied, [event.eventId]);
    });
  });
});
