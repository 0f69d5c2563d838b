import type { Database } from '@tidemark/db';
import { parseDigest } from '@tidemark/oci';
import { pathFor, type StorageDriver } from '@tidemark/storage';
import { sha256 } from '@tidemark/testing';
import type { Action, Exchange, ExchangeLog } from './exchange-log';

// Each check returns what it found wrong, one line per violation, so a failing assertion
// can print them; an empty list means the property holds.

/** An event of a repository stream, as the checks need it. */
export interface LoggedEvent {
  readonly stream: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly payload: Record<string, string | null | undefined>;
  readonly requestId: string;
}

/** Reads every event of every repository stream, in stream order. */
export async function readRepositoryEvents(database: Database): Promise<LoggedEvent[]> {
  const rows = await database.query<{
    stream: string;
    stream_version: string;
    type: string;
    payload: LoggedEvent['payload'];
    metadata: { requestId: string };
  }>(
    `SELECT stream, stream_version, type, payload, metadata FROM events
      WHERE stream LIKE 'repository:%' ORDER BY stream, stream_version`,
  );
  return rows.map((row) => ({
    stream: row.stream,
    streamVersion: Number(row.stream_version),
    type: row.type,
    payload: row.payload,
    requestId: row.metadata.requestId,
  }));
}

/** Property 1: every body read to its end has the digest that was asked for. */
export function wrongBytes(log: ExchangeLog): string[] {
  const wrong: string[] = [];
  for (const exchange of log.exchanges) {
    if (exchange.status !== 200 || exchange.bodyDigest === undefined) {
      continue;
    }
    const isContent = exchange.action === 'get-blob' || exchange.action === 'get-manifest';
    const asked = exchange.digest ?? exchange.contentDigest;
    if (isContent && (exchange.bodyDigest !== asked || exchange.contentDigest !== asked)) {
      wrong.push(
        `${describeExchange(exchange)}: body ${exchange.bodyDigest}, header ${exchange.contentDigest}`,
      );
    }
  }
  return wrong;
}

/** Every request that got a 5xx, no answer at all, or a body that broke off. */
export function serverErrors(log: ExchangeLog): string[] {
  return log.exchanges
    .filter(
      (exchange) =>
        exchange.status === 0 || exchange.status >= 500 || exchange.failure !== undefined,
    )
    .map(
      (exchange) => `${describeExchange(exchange)}: ${exchange.status} ${exchange.failure ?? ''}`,
    );
}

const UPLOAD_ACTIONS: ReadonlySet<Exchange['action']> = new Set([
  'start-upload',
  'write-chunk',
  'commit-upload',
]);

/**
 * Upload requests refused as the client's fault. Every proof client sends whole, in-order
 * chunks and the right digest, so a 4xx here means the registry lost track of an upload:
 * a chunk written on one instance and not seen on the other, a running digest not carried
 * over, a session that vanished.
 */
export function refusedUploads(log: ExchangeLog): string[] {
  return log.exchanges
    .filter(
      (exchange) =>
        UPLOAD_ACTIONS.has(exchange.action) && exchange.status >= 400 && exchange.status < 500,
    )
    .map(
      (exchange) => `${describeExchange(exchange)}: ${exchange.status} ${exchange.errorCode ?? ''}`,
    );
}

/** Writes and deletes of one thing (a blob or a manifest in a repository), as answered. */
interface Lifecycle {
  readonly writes: Exchange[];
  readonly deletes: Exchange[];
}

const BLOB_LIFE = { writes: ['commit-upload', 'mount-blob'], deletes: ['delete-blob'] } as const;
const MANIFEST_LIFE = { writes: ['put-manifest'], deletes: ['delete-manifest'] } as const;

/** Groups successful writes and deletes by repository and digest. */
function lifecycles(
  log: ExchangeLog,
  kinds: { writes: readonly Action[]; deletes: readonly Action[] },
): Map<string, Lifecycle> {
  const byKey = new Map<string, Lifecycle>();
  const entry = (exchange: Exchange): Lifecycle => {
    const key = `${exchange.repository}@${exchange.digest}`;
    const found = byKey.get(key) ?? { writes: [], deletes: [] };
    byKey.set(key, found);
    return found;
  };
  for (const exchange of log.exchanges) {
    if (kinds.writes.includes(exchange.action) && exchange.status === 201) {
      entry(exchange).writes.push(exchange);
    } else if (kinds.deletes.includes(exchange.action) && exchange.status === 202) {
      entry(exchange).deletes.push(exchange);
    }
  }
  return byKey;
}

/**
 * True when a write answered before `at` must still show then: no delete that may have
 * come after it had started by `at`.
 */
function mustShow(life: Lifecycle, at: { startedAt: number; answeredAt: number }): boolean {
  return life.writes.some(
    (write) =>
      write.answeredAt < at.startedAt &&
      life.deletes.every(
        (deletion) => deletion.answeredAt < write.startedAt || deletion.startedAt > at.answeredAt,
      ),
  );
}

/** Property 2, while the clients worked: no pull missed a push it must have seen. */
export function lostWhilePulling(log: ExchangeLog): string[] {
  const blobs = lifecycles(log, BLOB_LIFE);
  const manifests = lifecycles(log, MANIFEST_LIFE);
  const lost: string[] = [];
  for (const pull of log.exchanges) {
    const isBlob = pull.action === 'get-blob' || pull.action === 'head-blob';
    const isManifest = pull.action === 'get-manifest' && pull.tag === undefined;
    const life = (isBlob ? blobs : isManifest ? manifests : undefined)?.get(
      `${pull.repository}@${pull.digest}`,
    );
    if (pull.status === 404 && life !== undefined && mustShow(life, pull)) {
      lost.push(`${describeExchange(pull)}: 404 after a successful push`);
    }
  }
  return lost;
}

/** Property 2, after the run: what must still be pullable (pushed, and not deleted since). */
export function mustStillShow(log: ExchangeLog): { blobs: Exchange[]; manifests: Exchange[] } {
  const survivors = (byKey: Map<string, Lifecycle>): Exchange[] =>
    [...byKey.values()]
      .filter((life) =>
        life.writes.some((write) =>
          life.deletes.every((deletion) => deletion.answeredAt < write.startedAt),
        ),
      )
      .map((life) => life.writes[0]!);
  return {
    blobs: survivors(lifecycles(log, BLOB_LIFE)),
    manifests: survivors(lifecycles(log, MANIFEST_LIFE)),
  };
}

/**
 * Property 4: per tag, every successful move is in the log once, with its request id; the
 * log holds no move nobody was told of; moves answered one after the other are logged in
 * that order; conditional moves started from the digest they named, and refusals are
 * logged with the digest that refused them.
 */
export function tagMoveViolations(log: ExchangeLog, events: readonly LoggedEvent[]): string[] {
  const violations: string[] = [];
  const moves = new Map<string, LoggedEvent>();
  for (const move of events.filter((event) => event.type === 'TagMoved')) {
    if (moves.has(move.requestId)) {
      violations.push(`${move.requestId}: moved a tag twice, at v${move.streamVersion}`);
    }
    moves.set(move.requestId, move);
  }
  const refusals = new Map(
    events.filter((e) => e.type === 'TagMoveRefused').map((e) => [e.requestId, e]),
  );
  const answered = log.find('put-manifest', 201);
  for (const put of answered) {
    const move = moves.get(put.requestId);
    if (move === undefined || move.payload.tag !== put.tag || move.payload.digest !== put.digest) {
      violations.push(`${describeExchange(put)}: 201 but no TagMoved to ${put.digest} in the log`);
    } else if (put.ifMatch !== undefined && move.payload.previousDigest !== put.ifMatch) {
      violations.push(`${describeExchange(put)}: moved from ${move.payload.previousDigest}`);
    }
  }
  const told = new Set(answered.map((put) => put.requestId));
  for (const move of moves.values()) {
    if (!told.has(move.requestId)) {
      violations.push(
        `TagMoved ${JSON.stringify(move.payload)} by ${move.requestId}: never answered 201`,
      );
    }
  }
  for (const refused of log.find('put-manifest', 412)) {
    const refusal = refusals.get(refused.requestId);
    if (refusal === undefined || refusal.payload.currentDigest === refused.ifMatch) {
      violations.push(`${describeExchange(refused)}: 412 without a matching TagMoveRefused`);
    }
  }
  return [...violations, ...misorderedMoves(answered, moves)];
}

/** Moves of one tag whose answers did not overlap must be logged in the order answered. */
function misorderedMoves(answered: readonly Exchange[], moves: Map<string, LoggedEvent>): string[] {
  const violations: string[] = [];
  const byTag = new Map<string, Exchange[]>();
  for (const put of answered) {
    const tag = `${put.repository}:${put.tag}`;
    byTag.set(tag, [...(byTag.get(tag) ?? []), put]);
  }
  for (const [tag, puts] of byTag) {
    for (const earlier of puts) {
      for (const later of puts) {
        const isBefore = earlier.answeredAt < later.startedAt;
        const logged = [moves.get(earlier.requestId), moves.get(later.requestId)];
        if (
          isBefore &&
          logged[0] &&
          logged[1] &&
          logged[0].streamVersion > logged[1].streamVersion
        ) {
          violations.push(
            `${tag}: ${earlier.requestId} answered before ${later.requestId} started, logged after it`,
          );
        }
      }
    }
  }
  return violations;
}

/**
 * Property 4, the log's own story: per tag, each TagMoved starts where the event before it
 * left the tag, each TagDeleted removes where it points, and the last event agrees with the
 * tags table.
 */
export function brokenTagChains(
  events: readonly LoggedEvent[],
  tags: readonly { repository: string; tag: string; digest: string }[],
): string[] {
  const violations: string[] = [];
  const current = new Map<string, string | null>();
  for (const event of events) {
    if (event.type !== 'TagMoved' && event.type !== 'TagDeleted') {
      continue;
    }
    const key = `${event.payload.repository}:${event.payload.tag}`;
    const before = current.get(key) ?? null;
    const expected =
      event.type === 'TagMoved' ? event.payload.previousDigest : event.payload.digest;
    if (expected !== before) {
      violations.push(
        `${key} v${event.streamVersion} ${event.type}: from ${expected}, tag was at ${before}`,
      );
    }
    current.set(key, event.type === 'TagMoved' ? event.payload.digest! : null);
  }
  const table = new Map(tags.map((row) => [`${row.repository}:${row.tag}`, row.digest]));
  for (const [key, digest] of current) {
    if ((table.get(key) ?? null) !== digest) {
      violations.push(`${key}: the log ends at ${digest}, the tags table says ${table.get(key)}`);
    }
  }
  return violations;
}

/** Property 4, deletes: every answered tag or manifest delete is in the log with its request id. */
export function unloggedDeletes(log: ExchangeLog, events: readonly LoggedEvent[]): string[] {
  const logged = new Set(
    events
      .filter((event) => event.type === 'TagDeleted' || event.type === 'ManifestDeleted')
      .map((event) => event.requestId),
  );
  return [...log.find('delete-tag', 202), ...log.find('delete-manifest', 202)]
    .filter((deletion) => !logged.has(deletion.requestId))
    .map((deletion) => `${describeExchange(deletion)}: 202 but not in the log`);
}

/**
 * Property 5: every blob a manifest in the state tables refers to, and every blob a
 * repository links, is in storage with the bytes of its digest.
 */
export async function damagedContent(
  database: Database,
  storage: StorageDriver,
): Promise<string[]> {
  const rows = await database.query<{ digest: string }>(
    `SELECT r.referenced_digest AS digest FROM manifest_references r
       JOIN manifests m ON m.repository = r.repository AND m.digest = r.manifest_digest
      WHERE r.kind = 'blob'
     UNION SELECT digest FROM repository_blobs`,
  );
  return damagedBlobs(
    storage,
    rows.map((row) => row.digest),
  );
}

/** Reads each blob directly from storage; lists those missing or not hashing to their digest. */
export async function damagedBlobs(
  storage: StorageDriver,
  digests: readonly string[],
): Promise<string[]> {
  const damaged: string[] = [];
  for (const digest of digests) {
    const found = await readAll(storage, digest).then(sha256, (error: unknown) => String(error));
    if (found !== digest) {
      damaged.push(`${digest}: storage holds ${found}`);
    }
  }
  return damaged;
}

async function readAll(storage: StorageDriver, digest: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const path = pathFor({ kind: 'blob-data', digest: parseDigest(digest) });
  for await (const part of await storage.read(path)) {
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}

/** Names an exchange in a violation: request id, method, path and instance. */
export function describeExchange(exchange: Exchange): string {
  return `${exchange.requestId} ${exchange.method} ${exchange.path} (instance ${exchange.instance})`;
}
