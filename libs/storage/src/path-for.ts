import { algorithmOf, encodedOf, type Digest } from '@tidemark/oci';

/** What a storage key stands for. */
export type PathSpec =
  | { readonly kind: 'blob-data'; readonly digest: Digest }
  | { readonly kind: 'upload-data'; readonly uploadId: string }
  | { readonly kind: 'upload-root'; readonly uploadId: string };

/**
 * Returns the storage key of `spec`. The only place keys are built. Layout:
 *
 *   blobs/
 *     sha256/ab/ab12…ef/data      immutable, content-addressed; written only after the
 *                                 digest is verified, so any writer writes the same bytes
 *   uploads/
 *     <uploadId>/data             private to one upload session; moved to blobs/ on commit
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
  }
}
