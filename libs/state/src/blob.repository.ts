import type { Queryable } from '@tidemark/db';
import type { Digest } from '@tidemark/oci';

/** Reads which blobs exist and which repositories they are linked into. */
export class BlobRepository {
  constructor(private readonly db: Queryable) {}

  /** Returns the size of `digest` if it is linked into `repository`. */
  async findLinked(
    repository: string,
    digest: Digest,
    tx: Queryable = this.db,
  ): Promise<number | undefined> {
    const { rows } = await tx.query<{ size: string }>(
      `SELECT b.size FROM repository_blobs l JOIN blobs b USING (digest)
       WHERE l.repository = $1 AND l.digest = $2`,
      [repository, digest],
    );
    return rows.length === 0 ? undefined : Number(rows[0]!.size);
  }

  /** Returns one repository that `digest` is linked into, if any. */
  async findAnyRepositoryWith(digest: Digest): Promise<string | undefined> {
    const { rows } = await this.db.query<{ repository: string }>(
      'SELECT repository FROM repository_blobs WHERE digest = $1 LIMIT 1',
      [digest],
    );
    return rows[0]?.repository;
  }

  /** Returns the digests among `digests` that are not linked into `repository`. */
  async findUnlinked(
    repository: string,
    digests: readonly string[],
    tx: Queryable = this.db,
  ): Promise<string[]> {
    const { rows } = await tx.query<{ digest: string }>(
      `SELECT d.digest FROM unnest($2::text[]) AS d(digest)
       WHERE NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.repository = $1 AND l.digest = d.digest)`,
      [repository, digests],
    );
    return rows.map((row) => row.digest);
  }
}
