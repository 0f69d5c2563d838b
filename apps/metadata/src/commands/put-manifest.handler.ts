import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Database, type Transaction } from '@tidemark/db';
import { registryEvent, type RegistryEvent } from '@tidemark/events';
import { retryOnConflict } from '@tidemark/eventstore';
import { eventMetadata, type RegistryResponse } from '@tidemark/http';
import {
  algorithmOf,
  DigestInvalidError,
  digestOf,
  isTag,
  ManifestBlobUnknownError,
  ManifestInvalidError,
  parseDigest,
  parseManifest,
  PreconditionFailedError,
  parseManifestReference,
  type Digest,
  type ManifestReference,
  type ParsedManifest,
} from '@tidemark/oci';
import { BlobRepository, EventRecorder, ManifestRepository, TagRepository } from '@tidemark/state';
import { manifestPushedEvent } from '../manifests/manifest-pushed-event';
import { isConditionMet, parseTagCondition, type TagCondition } from '../manifests/tag-condition';
import { PutManifestCommand } from './put-manifest.command';

const MISSING_BLOBS_LISTED = 20;

/**
 * Stores the exact bytes pushed (their digest is the manifest's identity), checks that every
 * blob it references is in the repository, and records ManifestPushed and TagMoved in one
 * transaction. A `subject` need not exist yet (DS v1.1; field case F11), and neither need the
 * children of an index: sparse indexes, which copy tools push for a subset of platforms, are
 * valid.
 */
@CommandHandler(PutManifestCommand)
export class PutManifestHandler implements ICommandHandler<PutManifestCommand, RegistryResponse> {
  constructor(
    private readonly database: Database,
    private readonly recorder: EventRecorder,
    private readonly blobs: BlobRepository,
    private readonly manifests: ManifestRepository,
    private readonly tags: TagRepository,
  ) {}

  async execute(command: PutManifestCommand): Promise<RegistryResponse> {
    const reference = parsePushReference(command.reference);
    const manifest = identify(
      parseManifest(command.content, command.contentType),
      command.content,
      reference,
    );
    const tags = tagsToMove(reference, command.tags);
    const condition = parseTagCondition(command.conditions.ifMatch, command.conditions.ifNoneMatch);

    const refusals = await retryOnConflict(() =>
      this.database.transaction((tx) => this.record(tx, command, manifest, { tags, condition })),
    );
    if (refusals.length > 0) {
      throw preconditionFailed(refusals);
    }

    const headers: Record<string, string> = {
      Location: `/v2/${command.repository}/manifests/${manifest.digest}`,
      'Docker-Content-Digest': manifest.digest,
      'Content-Length': '0',
    };
    if (manifest.subject) {
      headers['OCI-Subject'] = manifest.subject.digest;
    }
    if (command.tags.length > 0) {
      headers['OCI-Tag'] = command.tags.join(', ');
    }
    if (tags.length > 0) {
      headers['ETag'] = `"${manifest.digest}"`;
    }
    return { status: 201, headers };
  }

  /**
   * Records the push under the repository's stream lock, so a tag condition is evaluated
   * against the tag as it is when the move happens. When a condition fails, nothing is
   * pushed or moved; the refusal itself is recorded, and returned for the 412.
   */
  private async record(
    tx: Transaction,
    command: PutManifestCommand,
    manifest: ParsedManifest,
    moves: { tags: readonly string[]; condition: TagCondition | undefined },
  ): Promise<TagRefusal[]> {
    const { repository } = command;
    const version = await this.recorder.lockStream(tx, repository);
    await this.checkBlobs(tx, repository, manifest);
    const current = new Map<string, Digest | undefined>();
    for (const tag of moves.tags) {
      current.set(tag, await this.tags.find(repository, tag, tx));
    }
    const metadata = eventMetadata(command.request);
    const refusals = refusedMoves(current, moves.condition);
    if (refusals.length > 0) {
      const events = refusals.map((refusal) =>
        registryEvent('TagMoveRefused', {
          repository,
          ...refusal,
          digest: manifest.digest,
          condition: moves.condition!,
        }),
      );
      await this.recorder.record(tx, repository, version, events, metadata);
      return refusals;
    }
    const events: RegistryEvent[] = [];
    if ((await this.manifests.findMissing(repository, [manifest.digest], tx)).length > 0) {
      events.push(manifestPushedEvent(repository, manifest, command.content));
    }
    for (const [tag, previous] of current) {
      if (previous !== manifest.digest) {
        const condition = moves.condition === undefined ? {} : { condition: moves.condition };
        events.push(
          registryEvent('TagMoved', {
            repository,
            tag,
            digest: manifest.digest,
            previousDigest: previous ?? null,
            ...condition,
          }),
        );
      }
    }
    await this.recorder.record(tx, repository, version, events, metadata);
    return [];
  }

  private async checkBlobs(
    tx: Transaction,
    repository: string,
    manifest: ParsedManifest,
  ): Promise<void> {
    const digests = manifest.blobs.map((blob) => blob.digest);
    const missing = await this.blobs.findUnlinked(repository, digests, tx);
    if (missing.length > 0) {
      // The first few name the problem; a manifest of thousands must not make a huge answer.
      throw new ManifestBlobUnknownError({
        blobs: missing.slice(0, MISSING_BLOBS_LISTED),
        missing: missing.length,
      });
    }
  }
}

/** A tag a conditional push could not move, and where it points. */
interface TagRefusal {
  readonly tag: string;
  readonly currentDigest: Digest | null;
}

/** The 412 for `refusals`; with one tag refused, its current digest is the ETag too. */
function preconditionFailed(refusals: readonly TagRefusal[]): PreconditionFailedError {
  const error = new PreconditionFailedError({ tags: refusals });
  const [only] = refusals;
  if (refusals.length === 1 && only!.currentDigest !== null) {
    error.headers['ETag'] = `"${only!.currentDigest}"`;
  }
  return error;
}

function refusedMoves(
  current: Map<string, Digest | undefined>,
  condition: TagCondition | undefined,
): TagRefusal[] {
  return [...current]
    .filter(([, digest]) => !isConditionMet(condition, digest))
    .map(([tag, digest]) => ({ tag, currentDigest: digest ?? null }));
}

/**
 * Reads the reference of a push. One with a colon can only be a digest, so a malformed one is
 * DIGEST_INVALID, as a malformed digest is on every other route; anything else must be a tag.
 */
function parsePushReference(reference: string): ManifestReference {
  if (reference.includes(':')) {
    return { kind: 'digest', digest: parseDigest(reference) };
  }
  const tag = parseManifestReference(reference);
  if (tag === undefined) {
    throw new ManifestInvalidError({ reference, reason: 'invalid tag' });
  }
  return tag;
}

/** The tags a push moves: the reference when it is a tag, plus any `?tag=` parameters. */
function tagsToMove(reference: ManifestReference, extra: readonly string[]): string[] {
  const invalid = extra.filter((tag) => !isTag(tag));
  if (invalid.length > 0) {
    throw new ManifestInvalidError({ tags: invalid, reason: 'invalid tag' });
  }
  const tags = reference.kind === 'tag' ? [reference.tag, ...extra] : [...extra];
  return [...new Set(tags)];
}

/**
 * Fixes the digest a manifest is stored under: the one in the URL when pushed by digest
 * (after checking the bytes match it, in its algorithm), else sha256 of the bytes.
 */
function identify(
  manifest: ParsedManifest,
  content: Buffer,
  reference: ManifestReference,
): ParsedManifest {
  if (reference.kind === 'tag') {
    return manifest;
  }
  const actual: Digest = digestOf(content, algorithmOf(reference.digest));
  if (actual !== reference.digest) {
    throw new DigestInvalidError({ expected: reference.digest, actual });
  }
  return { ...manifest, digest: actual };
}
