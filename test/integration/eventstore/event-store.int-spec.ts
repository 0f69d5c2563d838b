import { Database, migrate } from '@tidemark/db';
import {
  decodeEvent,
  EVENT_PAYLOADS,
  registryEvent,
  type EventMetadata,
  type EventOf,
  type EventType,
  type RegistryEvent,
} from '@tidemark/events';
import { EventStore, StreamConflictError, type ExpectedVersion } from '@tidemark/eventstore';
import { createTestDatabase, sha256 } from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

const REPOSITORY = 'integration/events';
const METADATA: EventMetadata = {
  actor: 'integration-test',
  clientAddress: '127.0.0.1',
  userAgent: 'node-test',
  requestId: 'request-1',
  time: '2026-01-02T03:04:05.678Z',
};
const [FIRST, SECOND] = [sha256('first'), sha256('second')];

/** Events of every type, each with its optional fields present and absent. */
const SAMPLES: { [Type in EventType]: EventOf<Type>[] } = {
  BlobPushed: [registryEvent('BlobPushed', { repository: REPOSITORY, digest: FIRST, size: 0 })],
  BlobMounted: [
    registryEvent('BlobMounted', { repository: REPOSITORY, digest: FIRST, size: 5, from: 'a/b' }),
  ],
  BlobUnlinked: [registryEvent('BlobUnlinked', { repository: REPOSITORY, digest: FIRST })],
  ManifestPushed: [
    registryEvent('ManifestPushed', {
      repository: REPOSITORY,
      digest: FIRST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 3,
      content: Buffer.from('{ }').toString('base64'),
      references: [],
    }),
    registryEvent('ManifestPushed', {
      repository: REPOSITORY,
      digest: SECOND,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 2,
      content: Buffer.from('{}').toString('base64'),
      references: [
        { digest: FIRST, kind: 'blob' },
        { digest: FIRST, kind: 'subject' },
      ],
      subject: FIRST,
      artifactType: 'application/vnd.example.sbom',
      annotations: { 'org.example': 'yes' },
    }),
  ],
  TagMoved: [
    registryEvent('TagMoved', {
      repository: REPOSITORY,
      tag: 'v1',
      digest: FIRST,
      previousDigest: null,
    }),
    registryEvent('TagMoved', {
      repository: REPOSITORY,
      tag: 'v1',
      digest: SECOND,
      previousDigest: FIRST,
      condition: { ifMatch: [FIRST] },
    }),
  ],
  TagMoveRefused: [
    registryEvent('TagMoveRefused', {
      repository: REPOSITORY,
      tag: 'v1',
      digest: FIRST,
      currentDigest: null,
      condition: { ifNoneMatch: '*' },
    }),
  ],
  TagDeleted: [registryEvent('TagDeleted', { repository: REPOSITORY, tag: 'v1', digest: SECOND })],
  ManifestDeleted: [registryEvent('ManifestDeleted', { repository: REPOSITORY, digest: SECOND })],
};

function aStream(): string {
  return `test:${randomUUID()}`;
}

function aTagMove(tag: string): RegistryEvent {
  return registryEvent('TagMoved', {
    repository: REPOSITORY,
    tag,
    digest: FIRST,
    previousDigest: null,
  });
}

/** Resolves once `parties` callers are waiting, so they continue together. */
function createBarrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) {
      release();
    }
    return allArrived;
  };
}

describe(EventStore.name, () => {
  let database: Database;
  let sut: EventStore;

  before(async () => {
    database = Database.connect(await createTestDatabase(), 5);
    await migrate(database);
    sut = new EventStore(database);
  });

  after(async () => {
    await database.close();
  });

  function append(
    stream: string,
    expectedVersion: ExpectedVersion,
    events: readonly RegistryEvent[],
  ): ReturnType<EventStore['append']> {
    return database.transaction((tx) => sut.append(tx, stream, expectedVersion, events, METADATA));
  }

  async function versionOf(stream: string): Promise<number> {
    return database.transaction((tx) => sut.streamVersion(tx, stream));
  }

  describe('append', () => {
    it('numbers the events of a new stream from 1, in order', async () => {
      const stream = aStream();
      const recorded = await append(stream, 0, [aTagMove('a'), aTagMove('b')]);
      assert.deepEqual(
        recorded.map((event) => event.streamVersion),
        [1, 2],
      );
      assert.equal(await versionOf(stream), 2);
    });

    it('continues the numbering where the stream stands', async () => {
      const stream = aStream();
      await append(stream, 0, [aTagMove('a'), aTagMove('b')]);
      const recorded = await append(stream, 2, [aTagMove('c')]);
      assert.deepEqual(
        recorded.map((event) => event.streamVersion),
        [3],
      );
      assert.deepEqual(
        (await sut.readStream(stream)).map((event) => event.streamVersion),
        [1, 2, 3],
      );
    });

    it('numbers each stream on its own', async () => {
      const [one, other] = [aStream(), aStream()];
      await append(one, 0, [aTagMove('a'), aTagMove('b')]);
      const recorded = await append(other, 0, [aTagMove('a')]);
      assert.equal(recorded[0]!.streamVersion, 1);
    });

    it('orders an append with expectedVersion any after the others', async () => {
      const stream = aStream();
      await append(stream, 'any', [aTagMove('a')]);
      const recorded = await append(stream, 'any', [aTagMove('b')]);
      assert.equal(recorded[0]!.streamVersion, 2);
    });

    it('gives later events higher positions in the log', async () => {
      const stream = aStream();
      const first = await append(stream, 0, [aTagMove('a'), aTagMove('b')]);
      const second = await append(stream, 2, [aTagMove('c')]);
      const positions = [...first, ...second].map((event) => event.position);
      assert.deepEqual(
        [...positions].sort((a, b) => (a < b ? -1 : 1)),
        positions,
      );
      assert.equal(new Set(positions).size, 3);
    });

    it('records nothing, and leaves the version alone, for no events', async () => {
      const stream = aStream();
      await append(stream, 0, [aTagMove('a')]);
      assert.deepEqual(await append(stream, 1, []), []);
      assert.equal(await versionOf(stream), 1);
    });

    const staleVersions: [string, number][] = [
      ['behind the stream', 1],
      ['ahead of the stream', 5],
      ['of an empty stream, for a stream with events', 0],
    ];
    for (const [label, expected] of staleVersions) {
      it(`throws StreamConflictError for an expected version ${label}, and appends nothing`, async () => {
        const stream = aStream();
        await append(stream, 0, [aTagMove('a'), aTagMove('b')]);
        await assert.rejects(append(stream, expected, [aTagMove('c')]), (error: unknown) => {
          assert.ok(error instanceof StreamConflictError);
          assert.equal(error.stream, stream);
          assert.equal(error.expectedVersion, expected);
          return true;
        });
        assert.equal((await sut.readStream(stream)).length, 2);
        assert.equal(await versionOf(stream), 2);
      });
    }

    const concurrentCases: [string, number][] = [
      ['a new stream', 0],
      ['a stream with events', 3],
    ];
    for (const [label, existing] of concurrentCases) {
      it(`commits exactly one of two transactions appending to ${label} at one version`, async () => {
        const stream = aStream();
        if (existing > 0) {
          await append(
            stream,
            0,
            Array.from({ length: existing }, (_, index) => aTagMove(`${index}`)),
          );
        }
        const bothHaveRead = createBarrier(2);
        const attempt = (tag: string): ReturnType<EventStore['append']> =>
          database.transaction(async (tx) => {
            const version = await sut.streamVersion(tx, stream);
            await bothHaveRead();
            return sut.append(tx, stream, version, [aTagMove(tag)], METADATA);
          });

        const outcomes = await Promise.allSettled([attempt('left'), attempt('right')]);

        const committed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.equal(committed.length, 1);
        assert.equal(refused.length, 1);
        assert.ok((refused[0] as PromiseRejectedResult).reason instanceof StreamConflictError);
        assert.equal((await sut.readStream(stream)).length, existing + 1);
        assert.equal(await versionOf(stream), existing + 1);
      });
    }
  });

  describe('events table', () => {
    const changes: [string, string][] = [
      ['UPDATE', `UPDATE events SET type = 'TagDeleted' WHERE stream = $1`],
      ['DELETE', 'DELETE FROM events WHERE stream = $1'],
      ['TRUNCATE', 'TRUNCATE events'],
    ];
    for (const [statement, sql] of changes) {
      it(`refuses ${statement}, so history cannot be edited`, async () => {
        const stream = aStream();
        await append(stream, 0, [aTagMove('a')]);
        const values = sql.includes('$1') ? [stream] : [];
        await assert.rejects(database.query(sql, values), /append-only/);
        const [event] = await sut.readStream(stream);
        assert.equal(event?.type, 'TagMoved');
      });
    }
  });

  describe('decodeEvent', () => {
    it('has a sample of every event type', () => {
      const sampled = Object.entries(SAMPLES).filter(([, samples]) => samples.length > 0);
      assert.deepEqual(sampled.map(([type]) => type).sort(), Object.keys(EVENT_PAYLOADS).sort());
    });

    it('reads back every event type exactly as appended, with its metadata', async () => {
      const stream = aStream();
      const events = Object.values(SAMPLES).flat() as RegistryEvent[];
      const recorded = await append(stream, 0, events);

      const read = await sut.readStream(stream);

      assert.deepEqual(read, recorded);
      assert.deepEqual(
        read.map(({ type, payload }) => ({ type, payload })),
        events,
      );
      assert.deepEqual(
        read.map((event) => event.metadata),
        read.map(() => METADATA),
      );
    });

    it('reads the same events from a position as from their stream', async () => {
      const stream = aStream();
      const recorded = await append(stream, 0, Object.values(SAMPLES).flat() as RegistryEvent[]);
      const read = await sut.readAfter(recorded[0]!.position - 1n, recorded.length);
      assert.deepEqual(read, recorded);
    });

    it('refuses a stored event of an unknown type', () => {
      assert.throws(() => decodeEvent('BlobTeleported', 1, {}), /unknown event type/);
    });

    it('refuses a stored event of an unknown schema version', () => {
      assert.throws(() => decodeEvent('BlobUnlinked', 99, SAMPLES.BlobUnlinked[0]!.payload));
    });

    it('refuses a stored payload that does not match its schema', () => {
      assert.throws(() => decodeEvent('BlobPushed', 1, { repository: REPOSITORY, size: -1 }));
    });
  });
});
