import type { Transaction } from '@tidemark/db';
import type { EventMetadata, EventOf, RegistryEvent } from '@tidemark/events';

/** The derived tables, in an order that TRUNCATE accepts together. */
export const STATE_TABLES = [
  'repositories',
  'repository_blobs',
  'blobs',
  'manifests',
  'manifest_references',
  'tags',
] as const;

/**
 * Applies events to the state tables. The same function runs in the transaction that
 * appends an event and when the tables are rebuilt from the log, which is what makes the
 * tables a function of the log. Every statement is idempotent and, where events of several
 * streams touch one row (`blobs`, `repositories`), order-independent.
 */
export class StateProjector {
  /** Applies one event, with the time and actor of its metadata. */
  async apply(tx: Transaction, event: RegistryEvent, metadata: EventMetadata): Promise<void> {
    switch (event.type) {
      case 'BlobPushed':
      case 'BlobMounted':
        return this.linkBlob(tx, event, metadata.time);
      case 'BlobUnlinked':
        await tx.query('DELETE FROM repository_blobs WHERE repository = $1 AND digest = $2', [
          event.payload.repository,
          event.payload.digest,
        ]);
        return;
      case 'ManifestPushed':
        return this.addManifest(tx, event, metadata.time);
      case 'TagMoved':
        await tx.query(
          `INSERT INTO tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (repository, tag) DO UPDATE SET digest = $3, updated_at = $4`,
          [event.payload.repository, event.payload.tag, event.payload.digest, metadata.time],
        );
        return;
      case 'TagMoveRefused':
        // A record for the audit trail; it changed nothing.
        return;
      case 'TagDeleted':
        await tx.query('DELETE FROM tags WHERE repository = $1 AND tag = $2', [
          event.payload.repository,
          event.payload.tag,
        ]);
        return;
      case 'ManifestDeleted':
        return this.removeManifest(tx, event);
    }
  }

  /** Empties every state table; `apply` over the whole log then rebuilds them. */
  async truncate(tx: Transaction): Promise<void> {
    await tx.query(`TRUNCATE ${STATE_TABLES.join(', ')}`);
  }

  private async ensureRepository(tx: Transaction, name: string, time: string): Promise<void> {
    await tx.query(
      `INSERT INTO repositories (name, created_at) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET created_at = LEAST(repositories.created_at, $2)`,
      [name, time],
    );
  }

  private async linkBlob(
    tx: Transaction,
    event: EventOf<'BlobPushed'> | EventOf<'BlobMounted'>,
    time: string,
  ): Promise<void> {
    const { repository, digest, size } = event.payload;
    await this.ensureRepository(tx, repository, time);
    await tx.query(
      `INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (digest) DO UPDATE SET created_at = LEAST(blobs.created_at, $3)`,
      [digest, size, time],
    );
    await tx.query(
      `INSERT INTO repository_blobs (repository, digest, linked_at) VALUES ($1, $2, $3)
       ON CONFLICT (repository, digest) DO NOTHING`,
      [repository, digest, time],
    );
  }

  private async addManifest(
    tx: Transaction,
    event: EventOf<'ManifestPushed'>,
    time: string,
  ): Promise<void> {
    const manifest = event.payload;
    await this.ensureRepository(tx, manifest.repository, time);
    await tx.query(
      `INSERT INTO manifests (repository, digest, media_type, size, content, artifact_type,
         subject_digest, annotations, pushed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (repository, digest) DO NOTHING`,
      [
        manifest.repository,
        manifest.digest,
        manifest.mediaType,
        manifest.size,
        Buffer.from(manifest.content, 'base64'),
        manifest.artifactType ?? null,
        manifest.subject ?? null,
        manifest.annotations === undefined ? null : JSON.stringify(manifest.annotations),
        time,
      ],
    );
    await tx.query(
      `INSERT INTO manifest_references (repository, manifest_digest, referenced_digest, kind)
       SELECT $1, $2, digest, kind FROM unnest($3::text[], $4::text[]) AS r(digest, kind)
       ON CONFLICT DO NOTHING`,
      [
        manifest.repository,
        manifest.digest,
        manifest.references.map((reference) => reference.digest),
        manifest.references.map((reference) => reference.kind),
      ],
    );
  }

  private async removeManifest(tx: Transaction, event: EventOf<'ManifestDeleted'>): Promise<void> {
    const { repository, digest } = event.payload;
    await tx.query('DELETE FROM manifests WHERE repository = $1 AND digest = $2', [
      repository,
      digest,
    ]);
    await tx.query(
      'DELETE FROM manifest_references WHERE repository = $1 AND manifest_digest = $2',
      [repository, digest],
    );
  }
}
