import type { Database } from '@tidemark/db';
import { createProjections } from '../apps/metadata/src/projections/create-projections';
import { distributionOf, type Distribution } from './percentiles';
import type { PipelineEnvironment } from './pipeline-environment';
import {
  applyTimesAfter,
  headPosition,
  tagEventsAfter,
  tagMoveLagsAfter,
  waitForProjections,
  waitForTagHistory,
} from './projection-progress';
import {
  SteadyManifestPusher,
  type SteadyLoadResult,
  type SteadyLoadSettings,
} from './steady-manifest-pusher';
import { appendTagMoves, type FloodSettings } from './tag-move-flood';

/** What both phases need to know. */
export interface PhaseSettings {
  readonly flood: FloodSettings;
  readonly steady: SteadyLoadSettings;
  readonly catchUpTimeoutMs: number;
}

/** Phase 1: a backlog of TagMoved events appended at once, and how fast it reached tag-history. */
export interface ThroughputResult {
  readonly events: number;
  readonly appendSeconds: number;
  readonly appendedPerSecond: number;
  /** First event recorded to last tag-history row applied. */
  readonly endToEndSeconds: number;
  readonly appliedPerSecond: number;
  /** Last event recorded to last tag-history row applied. */
  readonly drainSeconds: number;
  /** First append to the moment every projection had applied everything (polled). */
  readonly allProjectionsSeconds: number;
}

/** Phase 2: manifests pushed over HTTP at a steady rate, and each tag move's lag. */
export interface SteadyLagResult {
  readonly load: SteadyLoadResult;
  readonly isRateAchieved: boolean;
  readonly lagMs: Distribution;
  /** Last tag move recorded to its tag-history row applied. */
  readonly drainSeconds: number;
}

// A steady run that ends a little past its schedule still counts as holding the rate.
const RATE_TOLERANCE = 0.98;

/**
 * Sends one event through the pipeline and waits for every projection, so the measured
 * phases do not include start-up (a Kafka consumer group's first join, say).
 */
export async function warmUp(database: Database, settings: PhaseSettings): Promise<void> {
  const from = await headPosition(database);
  const single = { ...settings.flood, events: 1, repositories: 1, writers: 1 };
  await appendTagMoves(database, single, 'bench/warm-up');
  await waitForTagHistory(database, from, 1, settings.catchUpTimeoutMs);
  await waitForProjections(database, projectionNames(database), settings.catchUpTimeoutMs);
}

/** Runs phase 1 and returns its figures once every projection has caught up. */
export async function measureThroughput(
  database: Database,
  settings: PhaseSettings,
): Promise<ThroughputResult> {
  const from = await headPosition(database);
  const startedAt = performance.now();

  const flood = await appendTagMoves(database, settings.flood, 'bench/flood');

  await waitForTagHistory(database, from, flood.events, settings.catchUpTimeoutMs);
  const times = await applyTimesAfter(database, from);

  await waitForProjections(database, projectionNames(database), settings.catchUpTimeoutMs);
  const allProjectionsSeconds = (performance.now() - startedAt) / 1000;

  return {
    events: times.events,
    appendSeconds: flood.seconds,
    appendedPerSecond: flood.events / flood.seconds,
    endToEndSeconds: times.endToEndSeconds,
    appliedPerSecond: times.events / times.endToEndSeconds,
    drainSeconds: times.drainSeconds,
    allProjectionsSeconds,
  };
}

/** Runs phase 2 and returns the load achieved and the lag of each tag move. */
export async function measureSteadyLag(
  environment: PipelineEnvironment,
  settings: PhaseSettings,
): Promise<SteadyLagResult> {
  const { database } = environment;
  const pusher = new SteadyManifestPusher(environment.registryUrl, settings.steady, 'bench/steady');
  await pusher.prepare();
  await waitForProjections(database, projectionNames(database), settings.catchUpTimeoutMs);
  const from = await headPosition(database);

  const load = await pusher.run();

  const expected = await tagEventsAfter(database, from);
  await waitForTagHistory(database, from, expected, settings.catchUpTimeoutMs);
  const times = await applyTimesAfter(database, from);
  const lags = await tagMoveLagsAfter(database, from);

  const isRateAchieved =
    load.failed === 0 && load.achievedRate >= settings.steady.rate * RATE_TOLERANCE;
  return { load, isRateAchieved, lagMs: distributionOf(lags), drainSeconds: times.drainSeconds };
}

function projectionNames(database: Database): string[] {
  return createProjections(database).map((projection) => projection.name);
}
