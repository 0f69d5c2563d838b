import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import { uploadHeaders } from '../uploads/upload-location';
import { UploadWriter } from '../uploads/upload-writer';
import { WriteChunkCommand } from './write-chunk.command';

/** Every successful chunk answers 202 with Location and Range (DS v1.1; field case F02). */
@CommandHandler(WriteChunkCommand)
export class WriteChunkHandler implements ICommandHandler<WriteChunkCommand, RegistryResponse> {
  constructor(private readonly writer: UploadWriter) {}

  async execute(command: WriteChunkCommand): Promise<RegistryResponse> {
    const size = await this.writer.withLease(
      command.repository,
      command.uploadId,
      async (session) => {
        const written = await this.writer.write(session, command.chunk);
        return written.size;
      },
    );
    return { status: 202, headers: uploadHeaders(command.repository, command.uploadId, size) };
  }
}
