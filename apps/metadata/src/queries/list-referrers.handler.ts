import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { MediaType, parseDigest } from '@tidemark/oci';
import { ManifestRepository } from '@tidemark/state';
import { ListReferrersQuery } from './list-referrers.query';

/**
 * Answers with an image index of referrers: always 200, empty when there are none, and
 * with `OCI-Filters-Applied` when filtered by artifactType (DS v1.1 "Listing Referrers";
 * field case F13). The subject need not exist.
 */
@QueryHandler(ListReferrersQuery)
export class ListReferrersHandler implements IQueryHandler<ListReferrersQuery, RegistryResponse> {
  constructor(private readonly manifests: ManifestRepository) {}

  async execute(query: ListReferrersQuery): Promise<RegistryResponse> {
    const subject = parseDigest(query.subject);
    const referrers = await this.manifests.findReferrers(
      query.repository,
      subject,
      query.artifactTypes,
    );
    const headers: Record<string, string> = { 'Content-Type': MediaType.OciIndex };
    if (query.artifactTypes.length > 0) {
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    const body = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: referrers };
    return { status: 200, headers, body };
  }
}
