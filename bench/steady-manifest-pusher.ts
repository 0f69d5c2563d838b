import { setTimeout as sleep } from 'node:timers/promises';
import { imageManifest, OciClient } from '../test/support/oci-client';
import { distributionOf, type Distribution } from './percentiles';

const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** The steady load: how many manifest pushes per second, for how long, where. */
export interface SteadyLoadSettings {
  readonly rate: number;
  readonly seconds: number;
  readonly repositories: number;
  readonly tagsPerRepository: number;
  /** Pushes allowed in flight at once; a start waits (and counts as late) beyond that. */
  readonly maxInFlight: number;
}

/** How the load went, from the client's side. */
export interface SteadyLoadResult {
  readonly scheduled: number;
  readonly succeeded: number;
  readonly failed: number;
  /** First scheduled start to last completion. */
  readonly seconds: number;
  readonly achievedRate: number;
  /** The latest any push started after its scheduled time. */
  readonly maxStartDelayMs: number;
  readonly pushLatencyMs: Distribution;
  readonly firstError?: string;
}

/** What the pushes of a run came to, collected as they finish. */
interface PushOutcome {
  readonly latencies: number[];
  failed: number;
  firstError?: string;
}

/** One manifest PUT of the schedule. */
interface PlannedPush {
  readonly repository: string;
  readonly tag: string;
  readonly body: string;
}

/**
 * Pushes tagged image manifests at a fixed rate, open loop: each push starts on its
 * schedule whether or not the ones before it finished. The blobs (one config and one layer
 * per repository) are uploaded first, so the steady phase is manifest PUTs only; each
 * manifest differs by an annotation, so every push after a tag's first moves that tag.
 */
export class SteadyManifestPusher {
  private readonly client: OciClient;
  private plan: PlannedPush[] = [];

  constructor(
    registryUrl: string,
    private readonly settings: SteadyLoadSettings,
    private readonly prefix: string,
  ) {
    this.client = new OciClient(registryUrl);
  }

  /** Uploads the blobs and builds every manifest of the schedule. */
  async prepare(): Promise<void> {
    const total = Math.round(this.settings.rate * this.settings.seconds);
    const repositories = await Promise.all(
      Array.from({ length: this.settings.repositories }, (_, index) => this.pushBlobs(index)),
    );
    this.plan = Array.from({ length: total }, (_, sequence) => {
      const { repository, manifest } = repositories[sequence % repositories.length]!;
      const round = Math.floor(sequence / repositories.length);
      const annotations = { 'org.tidemark.bench.sequence': String(sequence) };
      return {
        repository,
        tag: `tag-${round % this.settings.tagsPerRepository}`,
        body: JSON.stringify({ ...manifest, annotations }),
      };
    });
  }

  /** Runs the schedule and waits for the last push to finish. */
  async run(): Promise<SteadyLoadResult> {
    const outcome: PushOutcome = { latencies: [], failed: 0 };
    const inFlight = new Set<Promise<void>>();
    const startedAt = performance.now();
    let maxStartDelayMs = 0;
    for (const [sequence, push] of this.plan.entries()) {
      const due = startedAt + (sequence * 1000) / this.settings.rate;
      await sleep(Math.max(0, due - performance.now()));
      while (inFlight.size >= this.settings.maxInFlight) {
        await Promise.race(inFlight);
      }
      maxStartDelayMs = Math.max(maxStartDelayMs, performance.now() - due);
      const running = this.pushManifest(push, outcome).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);
    return this.summarize(outcome, (performance.now() - startedAt) / 1000, maxStartDelayMs);
  }

  private summarize(
    outcome: PushOutcome,
    seconds: number,
    maxStartDelayMs: number,
  ): SteadyLoadResult {
    const succeeded = outcome.latencies.length;
    return {
      scheduled: this.plan.length,
      succeeded,
      failed: outcome.failed,
      seconds,
      achievedRate: succeeded / seconds,
      maxStartDelayMs,
      pushLatencyMs: distributionOf(outcome.latencies),
      ...(outcome.firstError === undefined ? {} : { firstError: outcome.firstError }),
    };
  }

  private async pushManifest(push: PlannedPush, outcome: PushOutcome): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.client.pushManifest(push.repository, push.tag, push.body, MANIFEST_MEDIA_TYPE);
      outcome.latencies.push(performance.now() - startedAt);
    } catch (error) {
      outcome.failed++;
      outcome.firstError ??= error instanceof Error ? error.message : String(error);
    }
  }

  private async pushBlobs(index: number): Promise<{ repository: string; manifest: object }> {
    const repository = `${this.prefix}-${index}`;
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    const layer = `layer of ${repository}`;
    const configDigest = await this.client.pushBlob(repository, config);
    const layerDigest = await this.client.pushBlob(repository, layer);
    const manifest = imageManifest({ digest: configDigest, size: Buffer.byteLength(config) }, [
      { digest: layerDigest, size: Buffer.byteLength(layer) },
    ]);
    return { repository, manifest };
  }
}
