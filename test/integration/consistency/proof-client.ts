import { SeededRandom } from '@tidemark/storage';
import { imageManifest, patternedBytes, sha256, withQuery } from '@tidemark/testing';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Exchange, ExchangeLog, ExchangeRequest } from './exchange-log';

export const REPOSITORIES = ['proof/one', 'proof/two', 'proof/three'] as const;
export const TAGS = ['latest', 'stable', 'edge'] as const;

const OCTETS = { 'Content-Type': 'application/octet-stream' };
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** A blob some client pushed with success. */
export interface PushedBlob {
  readonly repository: string;
  readonly digest: string;
  readonly size: number;
}

/** What the clients of one proof know of each other's work: what they can pull and delete. */
export class ProofWorld {
  readonly blobs: PushedBlob[] = [];
  readonly manifests: { repository: string; digest: string }[] = [];

  /**
   * Contents that many clients push, so that uploads of one digest meet: small, and up to a
   * few hundred KiB, past the point where the fault driver breaks streams.
   */
  readonly sharedContents = [1, 3, 20, 64, 150, 300].map((kib, index) =>
    patternedBytes(kib * 1024, 9000 + index),
  );
}

/**
 * One simulated client: in a loop, it pushes blobs (whole or in chunks), pushes images that
 * move tags, moves tags on condition, pulls and deletes, each request to a random instance.
 * Only what it was told succeeded goes into the shared world.
 */
export class ProofClient {
  private readonly random: SeededRandom;

  constructor(
    private readonly name: string,
    private readonly log: ExchangeLog,
    private readonly world: ProofWorld,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  /** Works until `deadline` (performance.now()) or `maxSteps`, whichever comes first. */
  async run(deadline: number, maxSteps: number): Promise<void> {
    for (let step = 0; step < maxSteps && performance.now() < deadline; step++) {
      const roll = this.random.next();
      if (roll < 0.25) {
        await this.pushBlob(this.pick(REPOSITORIES), this.content());
      } else if (roll < 0.45) {
        await this.pushImage();
      } else if (roll < 0.75) {
        await this.pull();
      } else if (roll < 0.9) {
        await this.moveTagOnCondition();
      } else {
        await this.deleteSomething();
      }
    }
  }

  /** Uploads `content` whole (POST, PUT) or in chunks (POST, PATCH…, PUT). Returns true on 201. */
  async pushBlob(repository: string, content: Buffer): Promise<boolean> {
    const location = await this.stageUpload(repository, content);
    if (location === undefined) {
      return false;
    }
    return this.commitUpload(repository, location, content.subarray(location.staged), content);
  }

  /** Opens an upload and PATCHes a random prefix of `content`; returns where to PUT the rest. */
  async stageUpload(
    repository: string,
    content: Buffer,
  ): Promise<{ path: string; staged: number } | undefined> {
    const start = await this.send({
      action: 'start-upload',
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/`,
      repository,
    });
    let path = start.location;
    let staged = 0;
    const chunks = this.random.upTo(2);
    for (let chunk = 1; chunk <= chunks && path !== undefined; chunk++) {
      const end = Math.floor((content.length * chunk) / (chunks + 1));
      const patch = await this.send({
        action: 'write-chunk',
        method: 'PATCH',
        path,
        repository,
        headers: { ...OCTETS, 'Content-Range': `${staged}-${end - 1}` },
        body: content.subarray(staged, end),
      });
      path = patch.status === 202 ? patch.location : undefined;
      staged = end;
    }
    return start.status === 202 && path !== undefined ? { path, staged } : undefined;
  }

  /** Sends the closing PUT of an upload with `rest` of `content`. Returns true on 201. */
  async commitUpload(
    repository: string,
    location: { path: string },
    rest: Buffer,
    content: Buffer,
  ): Promise<boolean> {
    const digest = sha256(content);
    const done = await this.send({
      action: 'commit-upload',
      method: 'PUT',
      path: withQuery(location.path, `digest=${digest}`),
      repository,
      digest,
      headers: OCTETS,
      body: rest,
    });
    if (done.status === 201) {
      this.world.blobs.push({ repository, digest, size: content.length });
    }
    return done.status === 201;
  }

  private async pushImage(): Promise<void> {
    const repository = this.pick(REPOSITORIES);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', by: this.name }),
    );
    const layer = this.content();
    if ((await this.pushBlob(repository, config)) && (await this.pushBlob(repository, layer))) {
      const blobs = [config, layer].map((bytes) => ({ digest: sha256(bytes), size: bytes.length }));
      await this.putManifest(repository, this.pick(TAGS), uniqueManifest(blobs[0]!, blobs[1]!));
    }
  }

  /** Reads where a tag points, then moves it with If-Match on that digest. */
  private async moveTagOnCondition(): Promise<void> {
    const repository = this.pick(REPOSITORIES);
    const tag = this.pick(TAGS);
    const pushed = this.world.blobs.filter((blob) => blob.repository === repository);
    if (pushed.length === 0) {
      return;
    }
    const head = await this.send({
      action: 'head-manifest',
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${tag}`,
      repository,
      tag,
      headers: { Accept: MANIFEST_TYPE },
    });
    const manifest = uniqueManifest(this.pick(pushed), this.pick(pushed));
    await this.putManifest(repository, tag, manifest, head.contentDigest);
  }

  private async putManifest(
    repository: string,
    tag: string,
    manifest: string,
    ifMatch?: string,
  ): Promise<void> {
    const put = await this.send({
      action: 'put-manifest',
      method: 'PUT',
      path: `/v2/${repository}/manifests/${tag}`,
      repository,
      tag,
      digest: sha256(manifest),
      headers: {
        'Content-Type': MANIFEST_TYPE,
        ...(ifMatch === undefined ? {} : { 'If-Match': `"${ifMatch}"` }),
      },
      body: manifest,
      ...(ifMatch === undefined ? {} : { ifMatch }),
    });
    if (put.status === 201) {
      this.world.manifests.push({ repository, digest: sha256(manifest) });
    }
  }

  private async pull(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.6 && this.world.blobs.length > 0) {
      const { repository, digest } = this.pick(this.world.blobs);
      const method = roll < 0.5 ? 'GET' : 'HEAD';
      const action = method === 'GET' ? 'get-blob' : 'head-blob';
      await this.send({
        action,
        method,
        path: `/v2/${repository}/blobs/${digest}`,
        repository,
        digest,
      });
      return;
    }
    const repository = this.pick(REPOSITORIES);
    const byDigest = this.world.manifests.length > 0 && roll < 0.85;
    const target = byDigest ? this.pick(this.world.manifests) : undefined;
    const reference = target?.digest ?? this.pick(TAGS);
    await this.send({
      action: 'get-manifest',
      method: 'GET',
      path: `/v2/${target?.repository ?? repository}/manifests/${reference}`,
      repository: target?.repository ?? repository,
      ...(target === undefined ? { tag: reference } : { digest: reference }),
      headers: { Accept: MANIFEST_TYPE },
    });
  }

  private async deleteSomething(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.4 && this.world.blobs.length > 0) {
      const { repository, digest } = this.pick(this.world.blobs);
      const path = `/v2/${repository}/blobs/${digest}`;
      await this.send({ action: 'delete-blob', method: 'DELETE', path, repository, digest });
    } else if (roll < 0.7 && this.world.manifests.length > 0) {
      const { repository, digest } = this.pick(this.world.manifests);
      const path = `/v2/${repository}/manifests/${digest}`;
      await this.send({ action: 'delete-manifest', method: 'DELETE', path, repository, digest });
    } else {
      const repository = this.pick(REPOSITORIES);
      const tag = this.pick(TAGS);
      const path = `/v2/${repository}/manifests/${tag}`;
      await this.send({ action: 'delete-tag', method: 'DELETE', path, repository, tag });
    }
  }

  /** Sends to a random instance. */
  send(request: ExchangeRequest): Promise<Exchange> {
    return this.log.send(this.name, this.random.upTo(this.log.urls.length - 1), request);
  }

  /** A shared content half the time, else one nobody else pushes. */
  private content(): Buffer {
    if (this.random.chance(0.5)) {
      return this.pick(this.world.sharedContents);
    }
    const unique = Buffer.from(`${this.name} ${randomUUID()}\n`);
    return Buffer.concat([
      unique,
      patternedBytes(this.random.upTo(96 * 1024), this.random.upTo(1e9)),
    ]);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.random.upTo(items.length - 1)]!;
  }
}

/**
 * An image manifest over `config` and `layer` that no other push sends (an annotation makes
 * it unique), so every successful push to a tag really moves it.
 */
function uniqueManifest(
  config: { digest: string; size: number },
  layer: { digest: string; size: number },
): string {
  const annotations = { 'org.tidemark.proof.push': randomUUID() };
  return JSON.stringify(imageManifest(config, [layer], { annotations }));
}
