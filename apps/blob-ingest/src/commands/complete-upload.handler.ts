import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { eventMetadata, type RegistryResponse } from '@tidemark/http';
import { DigestInvalidError, parseDigest } from '@tidemark/oci';
import { BlobCommitter } from '../uploads/blob-committer';
import { blobHeaders } from '../uploads/upload-location';
import { UploadWriter } from '../uploads/upload-writer';
import { CompleteUploadCommand } from './complete-upload.command';

/**
 * Commits an upload. The closing PUT may carry the last bytes, or all of them, as helm
 * pushes do (field case F04); a final chunk out of place gets 416 and leaves the session
 * open (F03).
 */
@CommandHandler(CompleteUploadCommand)
export class CompleteUploadHandler implements ICommandHandler<
  CompleteUploadCommand,
  RegistryResponse
> {
  constructor(
    private readonly writer: UploadWriter,
    private readonly committer: BlobCommitter,
  ) {}

  async execute(command: CompleteUploadCommand): Promise<RegistryResponse> {
    if (command.digest === undefined) {
      throw new DigestInvalidError({ reason: 'the digest query parameter is required' });
    }
    const digest = parseDigest(command.digest);
    await this.writer.withLease(command.repository, command.uploadId, async (session) => {
      const upload = await this.writer.write(session, command.chunk);
      await this.committer.commit(session, upload, digest, eventMetadata(command.request));
    });
    return { status: 201, headers: blobHeaders(command.repository, digest) };
  }
}
