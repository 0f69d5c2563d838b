import { algorithmOf, encodedOf, type Digest } from '@tidemark/oci';

/** What a storage key stands for. */
export type PathSpec =
  | { readonly kind: 'blob-data'; readonly digest: Digest }
  | { readonly kind: 'upload-data'; readonly uploadId: string }
  | { readonly kind: 'upload-root'; readonly uploadId: string }
  | {
      readonly kind: 'upload-chunk';
      readonly uploadId: string;
      readonly offset: number;
      readonly token: string;
    }
  | { readonly kind: 'staging'; readonly token: string };

/**
 * Returns the storage key of `spec`. The only place keys are built. Layout:
 *
 *   blobs/
 *     sha256/ab/ab12…ef/data      immutable, content-addressed; written only after the
 *                                 digest is verified, so any writer writes the same bytes
 *   uploads/
 *     <uploadId>/data             private to one upload session, chunks written at their
 *                                 offsets (filesystem); moved to blobs/ on commit
 *     <uploadId>/chunks/<offset>-<token>
 *                                 one object per chunk (object stores, which cannot append);
 *                                 a new token per write, so no key is rewritten
 *   staging/<token>               an object being assembled before it is renamed into place
 *
 * Nothing mutable (tags, links, upload progress) lives in storage: that is Postgres's job.
 */
export function pathFor(spec: PathSpec): string {
  switch (spec.kind) {
    case 'blob-data': {
      const encoded = encodedOf(spec.digest);
      return `blobs/${algorithmOf(spec.digest)}/${encoded.slice(0, 2)}/${encoded}/data`;
    }
    case 'upload-data':
      return `uploads/${spec.uploadId}/data`;
    case 'upload-root':
      return `uploads/${spec.uploadId}`;
    case 'upload-chunk':
      return `uploads/${spec.uploadId}/chunks/${spec.offset.toString().padStart(15, '0')}-${spec.token}`;
    case 'staging':
      return `staging/${spec.token}`;
  }
}
