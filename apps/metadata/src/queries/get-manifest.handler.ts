import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { ManifestUnknownError, NameUnknownError, parseManifestReference } from '@tidemark/oci';
import { CatalogRepository, ManifestRepository, type StoredManifest } from '@tidemark/state';
import { acceptsMediaType } from '../manifests/accepts-media-type';
import { GetManifestQuery } from './get-manifest.query';

/**
 * Serves the exact bytes pushed, with their digest and media type; HEAD sends the same
 * headers without the body (field case F07). A reference that is neither a tag nor a digest
 * cannot name a manifest, so it is 404 MANIFEST_UNKNOWN, as the conformance suite expects.
 */
@QueryHandler(GetManifestQuery)
export class GetManifestHandler implements IQueryHandler<GetManifestQuery, RegistryResponse> {
  constructor(
    private readonly manifests: ManifestRepository,
    private readonly catalog: CatalogRepository,
  ) {}

  async execute(query: GetManifestQuery): Promise<RegistryResponse> {
    const manifest = await this.find(query);
    if (!acceptsMediaType(query.accept, manifest.mediaType)) {
      throw new ManifestUnknownError({
        reason: 'not available in an accepted media type',
        mediaType: manifest.mediaType,
      });
    }
    const headers = {
      'Content-Type': manifest.mediaType,
      'Content-Length': manifest.size,
      'Docker-Content-Digest': manifest.digest,
      ETag: `"${manifest.digest}"`,
    };
    return { status: 200, headers, ...(query.isHead ? {} : { body: manifest.content }) };
  }

  private async find(query: GetManifestQuery): Promise<StoredManifest> {
    const reference = parseManifestReference(query.reference);
    const manifest =
      reference === undefined
        ? undefined
        : reference.kind === 'tag'
          ? await this.manifests.findByTag(query.repository, reference.tag)
          : await this.manifests.findByDigest(query.repository, reference.digest);
    if (manifest !== undefined) {
      return manifest;
    }
    if (!(await this.catalog.exists(query.repository))) {
      throw new NameUnknownError({ repository: query.repository });
    }
    throw new ManifestUnknownError({ reference: query.reference });
  }
}
