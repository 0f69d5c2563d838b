import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Database, type Transaction } from '@tidemark/db';
import { registryEvent, type RegistryEvent } from '@tidemark/events';
import { retryOnConflict } from '@tidemark/eventstore';
import { eventMetadata, type RegistryResponse } from '@tidemark/http';
import {
  ManifestUnknownError,
  parseManifestReference,
  type ManifestReference,
} from '@tidemark/oci';
import { EventRecorder, ManifestRepository, TagRepository } from '@tidemark/state';
import { DeleteManifestCommand } from './delete-manifest.command';

/**
 * `DELETE` by tag removes the tag (TagDeleted); by digest it removes the manifest and first
 * every tag pointing to it, so no tag is left naming nothing. Blobs are not touched here:
 * garbage collection reclaims them from these events.
 */
@CommandHandler(DeleteManifestCommand)
export class DeleteManifestHandler implements ICommandHandler<
  DeleteManifestCommand,
  RegistryResponse
> {
  constructor(
    private readonly database: Database,
    private readonly recorder: EventRecorder,
    private readonly manifests: ManifestRepository,
    private readonly tags: TagRepository,
  ) {}

  async execute(command: DeleteManifestCommand): Promise<RegistryResponse> {
    const reference = parseManifestReference(command.reference);
    if (reference === undefined) {
      throw new ManifestUnknownError({ reference: command.reference });
    }
    await retryOnConflict(() =>
      this.database.transaction(async (tx) => {
        const version = await this.recorder.lockStream(tx, command.repository);
        const events = await this.eventsFor(tx, command.repository, reference);
        await this.recorder.record(
          tx,
          command.repository,
          version,
          events,
          eventMetadata(command.request),
        );
      }),
    );
    return { status: 202, headers: { 'Content-Length': '0' } };
  }

  private async eventsFor(
    tx: Transaction,
    repository: string,
    reference: ManifestReference,
  ): Promise<RegistryEvent[]> {
    if (reference.kind === 'tag') {
      const digest = await this.tags.find(repository, reference.tag, tx);
      if (digest === undefined) {
        throw new ManifestUnknownError({ tag: reference.tag });
      }
      return [registryEvent('TagDeleted', { repository, tag: reference.tag, digest })];
    }
    const { digest } = reference;
    if ((await this.manifests.findMissing(repository, [digest], tx)).length > 0) {
      throw new ManifestUnknownError({ digest });
    }
    const tags = await this.tags.findPointingTo(repository, digest, tx);
    return [
      ...tags.map((tag) => registryEvent('TagDeleted', { repository, tag, digest })),
      registryEvent('ManifestDeleted', { repository, digest }),
    ];
  }
}
