import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Database } from '@tidemark/db';
import { registryEvent } from '@tidemark/events';
import { retryOnConflict } from '@tidemark/eventstore';
import { eventMetadata, type RegistryResponse } from '@tidemark/http';
import { isDigest, isRepositoryName, parseDigest, type Digest } from '@tidemark/oci';
import { BlobRepository, EventRecorder, UploadRepository } from '@tidemark/state';
import { blobHeaders, uploadHeaders } from '../uploads/upload-location';
import { BlobCommitter } from '../uploads/blob-committer';
import { UploadWriter } from '../uploads/upload-writer';
import { StartUploadCommand } from './start-upload.command';

@CommandHandler(StartUploadCommand)
export class StartUploadHandler implements ICommandHandler<StartUploadCommand, RegistryResponse> {
  constructor(
    private readonly database: Database,
    private readonly recorder: EventRecorder,
    private readonly blobs: BlobRepository,
    private readonly uploads: UploadRepository,
    private readonly writer: UploadWriter,
    private readonly committer: BlobCommitter,
  ) {}

  async execute(command: StartUploadCommand): Promise<RegistryResponse> {
    const { repository, options } = command;
    if (options.mount !== undefined) {
      const mounted = await this.tryMount(command, options.mount, options.from);
      if (mounted) {
        return { status: 201, headers: blobHeaders(repository, options.mount) };
      }
    }
    const digest = options.digest === undefined ? undefined : parseDigest(options.digest);
    const session = await this.uploads.create(repository);
    if (digest === undefined) {
      return { status: 202, headers: uploadHeaders(repository, session.id, 0) };
    }
    return this.uploadWhole(command, session.id, digest);
  }

  private async uploadWhole(
    command: StartUploadCommand,
    uploadId: string,
    digest: Digest,
  ): Promise<RegistryResponse> {
    const { repository } = command;
    await this.writer.withLease(repository, uploadId, async (session) => {
      const upload = await this.writer.write(session, command.chunk);
      await this.committer.commit(session, upload, digest, eventMetadata(command.request));
    });
    return { status: 201, headers: blobHeaders(repository, digest) };
  }

  /**
   * Links a blob of `from` into the repository. Returns false, so that a normal upload
   * starts, whenever mounting is not possible: a malformed digest or name, or a blob `from`
   * does not hold (DS v1.1: the registry SHOULD fall back to 202; field case F14). Without
   * `from`, any repository holding the blob is the source.
   */
  private async tryMount(
    command: StartUploadCommand,
    mount: string,
    from?: string,
  ): Promise<boolean> {
    if (!isDigest(mount) || (from !== undefined && !isRepositoryName(from))) {
      return false;
    }
    // TODO: with authentication, the source must be a repository the caller may pull, and
    // the search without `from` must only look at those (field case F15); today every
    // caller is anonymous and may read everything.
    const source = from ?? (await this.blobs.findAnyRepositoryWith(mount));
    if (source === undefined) {
      return false;
    }
    const size = await this.blobs.findLinked(source, mount);
    if (size === undefined) {
      return false;
    }
    const { repository } = command;
    const event = registryEvent('BlobMounted', { repository, digest: mount, size, from: source });
    await retryOnConflict(() =>
      this.database.transaction(async (tx) => {
        const version = await this.recorder.lockStream(tx, repository);
        if ((await this.blobs.findLinked(repository, mount, tx)) === undefined) {
          await this.recorder.record(
            tx,
            repository,
            version,
            [event],
            eventMetadata(command.request),
          );
        }
      }),
    );
    return true;
  }
}
