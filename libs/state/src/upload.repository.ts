import { randomUUID } from 'node:crypto';
import type { Queryable } from '@tidemark/db';
import type { ChunkRef } from '@tidemark/storage';

/** An upload session, as Postgres holds it: any instance can continue it. */
export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  /** Bytes received so far; the next chunk must start here. */
  readonly size: number;
  /** The saved state of the running sha256 over those bytes (hash-wasm), if any. */
  readonly hashState: Uint8Array | null;
  /** Where the bytes received so far are stored, in order. */
  readonly chunks: readonly ChunkRef[];
  readonly startedAt: Date;
}

interface UploadRow {
  id: string;
  repository: string;
  size: string;
  hash_state: Buffer | null;
  chunks: ChunkRef[];
  started_at: Date;
}

/** What a written chunk changes in a session. */
export interface UploadProgress {
  readonly size: number;
  readonly hashState: Uint8Array;
  readonly chunks: readonly ChunkRef[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Upload sessions. A session is leased while a chunk is being written, so two requests for
 * one session never write at once, whichever instances they reach.
 */
export class UploadRepository {
  constructor(private readonly db: Queryable) {}

  /** Starts a session in `repository` and returns it. */
  async create(repository: string): Promise<UploadSession> {
    const { rows } = await this.db.query<UploadRow>(
      'INSERT INTO uploads (id, repository) VALUES ($1, $2) RETURNING *',
      [randomUUID(), repository],
    );
    return toSession(rows[0]!);
  }

  /** Returns the session `id` of `repository`, or undefined (also for malformed ids). */
  async find(repository: string, id: string): Promise<UploadSession | undefined> {
    if (!UUID.test(id)) {
      return undefined;
    }
    const { rows } = await this.db.query<UploadRow>(
      'SELECT * FROM uploads WHERE id = $1 AND repository = $2',
      [id, repository],
    );
    return rows[0] && toSession(rows[0]);
  }

  /**
   * Takes the write lease of a session for `leaseMs`. Returns the session, 'busy' when
   * another request holds the lease, or undefined when there is no such session.
   */
  async lease(
    repository: string,
    id: string,
    leaseMs: number,
  ): Promise<UploadSession | 'busy' | undefined> {
    if (!UUID.test(id)) {
      return undefined;
    }
    const { rows } = await this.db.query<UploadRow & { is_free: boolean }>(
      `UPDATE uploads SET lease_until = CASE WHEN lease_until IS NULL OR lease_until < now()
           THEN now() + make_interval(secs => $3::double precision / 1000) ELSE lease_until END
       WHERE id = $1 AND repository = $2
       RETURNING *, (lease_until = now() + make_interval(secs => $3::double precision / 1000)) AS is_free`,
      [id, repository, leaseMs],
    );
    if (rows.length === 0) {
      return undefined;
    }
    return rows[0]!.is_free ? toSession(rows[0]!) : 'busy';
  }

  /** Records the progress of a leased session and releases its lease. */
  async release(id: string, progress?: UploadProgress): Promise<void> {
    await this.db.query(
      `UPDATE uploads SET lease_until = NULL, updated_at = now(),
         size = COALESCE($2, size), hash_state = COALESCE($3, hash_state),
         chunks = COALESCE($4::jsonb, chunks)
       WHERE id = $1`,
      [
        id,
        progress?.size ?? null,
        progress === undefined ? null : Buffer.from(progress.hashState),
        progress === undefined ? null : JSON.stringify(progress.chunks),
      ],
    );
  }

  /** Deletes the session row. Idempotent. */
  async delete(id: string, tx: Queryable = this.db): Promise<void> {
    await tx.query('DELETE FROM uploads WHERE id = $1', [id]);
  }
}

function toSession(row: UploadRow): UploadSession {
  return {
    id: row.id,
    repository: row.repository,
    size: Number(row.size),
    hashState: row.hash_state === null ? null : new Uint8Array(row.hash_state),
    chunks: row.chunks,
    startedAt: row.started_at,
  };
}
