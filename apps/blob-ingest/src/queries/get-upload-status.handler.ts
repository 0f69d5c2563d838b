import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { BlobUploadUnknownError } from '@tidemark/oci';
import { UploadRepository } from '@tidemark/state';
import { uploadHeaders } from '../uploads/upload-location';
import { GetUploadStatusQuery } from './get-upload-status.query';

/** Answers 204 with the session's Location and Range (DS v1.1 end-13; field case F03). */
@QueryHandler(GetUploadStatusQuery)
export class GetUploadStatusHandler implements IQueryHandler<
  GetUploadStatusQuery,
  RegistryResponse
> {
  constructor(private readonly uploads: UploadRepository) {}

  async execute(query: GetUploadStatusQuery): Promise<RegistryResponse> {
    const session = await this.uploads.find(query.repository, query.uploadId);
    if (session === undefined) {
      throw new BlobUploadUnknownError({ uploadId: query.uploadId });
    }
    return { status: 204, headers: uploadHeaders(query.repository, session.id, session.size) };
  }
}
