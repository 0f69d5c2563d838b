import type { Queryable } from '@tidemark/db';
import type { Digest } from '@tidemark/oci';

/** A stored manifest: the exact bytes pushed and what was derived from them. */
export interface StoredManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly content: Buffer;
}

/** A manifest that names another as its subject, as the referrers API lists it. */
export interface Referrer {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

interface ManifestRow {
  digest: string;
  media_type: string;
  size: string;
  content: Buffer;
}

/** Reads manifests, their tags and their referrers. */
export class ManifestRepository {
  constructor(private readonly db: Queryable) {}

  /** Returns the manifest `digest` of `repository`, if present. */
  async findByDigest(repository: string, digest: Digest): Promise<StoredManifest | undefined> {
    const { rows } = await this.db.query<ManifestRow>(
      `SELECT digest, media_type, size, content FROM manifests WHERE repository = $1 AND digest = $2`,
      [repository, digest],
    );
    return rows[0] && toManifest(rows[0]);
  }

  /** Returns the manifest `tag` points to in `repository`, if any. */
  async findByTag(repository: string, tag: string): Promise<StoredManifest | undefined> {
    const { rows } = await this.db.query<ManifestRow>(
      `SELECT m.digest, m.media_type, m.size, m.content
       FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest
       WHERE t.repository = $1 AND t.tag = $2`,
      [repository, tag],
    );
    return rows[0] && toManifest(rows[0]);
  }

  /** Returns the digests among `digests` that are not manifests of `repository`. */
  async findMissing(
    repository: string,
    digests: readonly string[],
    tx: Queryable = this.db,
  ): Promise<string[]> {
    const { rows } = await tx.query<{ digest: string }>(
      `SELECT d.digest FROM unnest($2::text[]) AS d(digest)
       WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository = $1 AND m.digest = d.digest)`,
      [repository, digests],
    );
    return rows.map((row) => row.digest);
  }

  /**
   * Lists the manifests of `repository` whose subject is `subject`, by digest; only those
   * of the given artifact types when `artifactTypes` is not empty.
   */
  async findReferrers(
    repository: string,
    subject: Digest,
    artifactTypes: readonly string[] = [],
  ): Promise<Referrer[]> {
    const { rows } = await this.db.query<{
      digest: string;
      media_type: string;
      size: string;
      artifact_type: string | null;
      annotations: Record<string, string> | null;
    }>(
      `SELECT digest, media_type, size, artifact_type, annotations FROM manifests
       WHERE repository = $1 AND subject_digest = $2
         AND (cardinality($3::text[]) = 0 OR artifact_type = ANY($3::text[]))
       ORDER BY digest`,
      [repository, subject, artifactTypes],
    );
    return rows.map((row) => ({
      digest: row.digest as Digest,
      mediaType: row.media_type,
      size: Number(row.size),
      ...(row.artifact_type === null ? {} : { artifactType: row.artifact_type }),
      ...(row.annotations === null ? {} : { annotations: row.annotations }),
    }));
  }
}

function toManifest(row: ManifestRow): StoredManifest {
  return {
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: Number(row.size),
    content: row.content,
  };
}
