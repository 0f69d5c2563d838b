import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { BlobCommitter } from '../uploads/blob-committer';
import { UploadWriter } from '../uploads/upload-writer';
import { CancelUploadCommand } from './cancel-upload.command';

@CommandHandler(CancelUploadCommand)
export class CancelUploadHandler implements ICommandHandler<CancelUploadCommand, RegistryResponse> {
  constructor(
    private readonly writer: UploadWriter,
    private readonly committer: BlobCommitter,
  ) {}

  async execute(command: CancelUploadCommand): Promise<RegistryResponse> {
    await this.writer.withLease(command.repository, command.uploadId, (session) =>
      this.committer.discard(session),
    );
    return { status: 204, headers: { 'Content-Length': '0' } };
  }
}
