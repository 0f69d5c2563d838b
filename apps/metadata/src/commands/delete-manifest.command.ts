import type { RequestMetadata } from '@tidemark/http';

/** Deletes a tag, or a manifest with every tag that points to it. */
export class DeleteManifestCommand {
  constructor(
    readonly repository: string,
    readonly reference: string,
    readonly request: RequestMetadata,
  ) {}
}
