import type { Queryable } from '@tidemark/db';
import type { Digest } from '@tidemark/oci';

/** Reads tags. */
export class TagRepository {
  constructor(private readonly db: Queryable) {}

  /** Returns the digest `tag` points to in `repository`, if the tag exists. */
  async find(
    repository: string,
    tag: string,
    tx: Queryable = this.db,
  ): Promise<Digest | undefined> {
    const { rows } = await tx.query<{ digest: string }>(
      'SELECT digest FROM tags WHERE repository = $1 AND tag = $2',
      [repository, tag],
    );
    return rows[0]?.digest as Digest | undefined;
  }

  /** Lists tags in lexical (byte) order after `last`, at most `limit` of them. */
  async list(repository: string, limit: number, last?: string): Promise<string[]> {
    const { rows } = await this.db.query<{ tag: string }>(
      `SELECT tag FROM tags WHERE repository = $1 AND ($2::text IS NULL OR tag > $2::text COLLATE "C")
       ORDER BY tag LIMIT $3`,
      [repository, last ?? null, limit],
    );
    return rows.map((row) => row.tag);
  }

  /** Lists the tags of `repository` that point to `digest`. */
  async findPointingTo(
    repository: string,
    digest: Digest,
    tx: Queryable = this.db,
  ): Promise<string[]> {
    const { rows } = await tx.query<{ tag: string }>(
      'SELECT tag FROM tags WHERE repository = $1 AND digest = $2 ORDER BY tag',
      [repository, digest],
    );
    return rows.map((row) => row.tag);
  }
}
