import type { RequestMetadata } from '@tidemark/http';

/** Stores a manifest and, when the reference is a tag, moves the tag to it. */
export class PutManifestCommand {
  constructor(
    readonly repository: string,
    readonly reference: string,
    readonly contentType: string | undefined,
    readonly content: Buffer,
    /** Extra tags to point at the manifest (`?tag=` parameters, DS main). */
    readonly tags: readonly string[],
    readonly request: RequestMetadata,
    /** The raw `If-Match` / `If-None-Match` headers, conditions on the tags moved. */
    readonly conditions: { readonly ifMatch?: string; readonly ifNoneMatch?: string } = {},
  ) {}
}
