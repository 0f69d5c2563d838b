import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Database } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import { retryOnConflict } from '@tidemark/eventstore';
import { eventMetadata, type RegistryResponse } from '@tidemark/http';
import { BlobUnknownError, parseDigest } from '@tidemark/oci';
import { BlobRepository, EventRecorder } from '@tidemark/state';
import { DeleteBlobCommand } from './delete-blob.command';

/**
 * Unlinks the blob from the repository by recording BlobUnlinked. The bytes stay in
 * storage: only garbage collection, a consumer of these events, may remove them.
 */
@CommandHandler(DeleteBlobCommand)
export class DeleteBlobHandler implements ICommandHandler<DeleteBlobCommand, RegistryResponse> {
  constructor(
    private readonly database: Database,
    private readonly recorder: EventRecorder,
    private readonly blobs: BlobRepository,
  ) {}

  async execute(command: DeleteBlobCommand): Promise<RegistryResponse> {
    const digest = parseDigest(command.digest);
    const { repository } = command;
    await retryOnConflict(() =>
      this.database.transaction(async (tx) => {
        const version = await this.recorder.lockStream(tx, repository);
        if ((await this.blobs.findLinked(repository, digest, tx)) === undefined) {
          throw new BlobUnknownError({ repository, digest });
        }
        const event = registryEvent('BlobUnlinked', { repository, digest });
        await this.recorder.record(
          tx,
          repository,
          version,
          [event],
          eventMetadata(command.request),
        );
      }),
    );
    return { status: 202, headers: { 'Content-Length': '0' } };
  }
}
