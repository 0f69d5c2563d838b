// Measures the event pipeline, from a commit to the log to the asynchronous projections, on
// each transport: the Postgres log alone, and Kafka (relay plus consumer groups). For each
// one it starts `tidemark serve` as a child process with its own embedded Postgres (and a
// local Kafka broker for the Kafka run), then
//   1. appends a backlog of TagMoved events straight to the log and times how fast
//      tag-history applies it;
//   2. pushes manifests over HTTP at a steady rate and takes, per TagMoved, the lag from
//      `events.recorded_at` to `projection_tag_history.applied_at`.
// Prints a table per transport and writes bench/results/event-pipeline.json. Everything it
// starts is stopped and its temporary directories removed. Settings: see bench/README.md.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { printTransportTable, writeResults, type TransportResult } from './event-pipeline-report';
import { PipelineEnvironment, type Transport } from './pipeline-environment';
import { measureSteadyLag, measureThroughput, warmUp, type PhaseSettings } from './pipeline-phases';
import { positiveInteger } from './settings';

const TRANSPORTS: readonly Transport[] = ['postgres', 'kafka'];
const RESULTS_FILE = resolve(__dirname, '../../bench/results/event-pipeline.json');

interface Settings extends PhaseSettings {
  readonly transports: readonly Transport[];
}

function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const number = (name: string, fallback: number): number => positiveInteger(env, name, fallback);
  return {
    transports: readTransports(env.TIDEMARK_BENCH_TRANSPORTS),
    flood: {
      events: number('TIDEMARK_BENCH_EVENTS', 20_000),
      repositories: number('TIDEMARK_BENCH_REPOSITORIES', 50),
      tagsPerRepository: number('TIDEMARK_BENCH_TAGS', 4),
      batchSize: number('TIDEMARK_BENCH_APPEND_BATCH', 100),
      writers: number('TIDEMARK_BENCH_WRITERS', 4),
    },
    steady: {
      rate: number('TIDEMARK_BENCH_RATE', 50),
      seconds: number('TIDEMARK_BENCH_SECONDS', 30),
      repositories: number('TIDEMARK_BENCH_PUSH_REPOSITORIES', 5),
      tagsPerRepository: number('TIDEMARK_BENCH_TAGS', 4),
      maxInFlight: number('TIDEMARK_BENCH_MAX_IN_FLIGHT', 64),
    },
    catchUpTimeoutMs: number('TIDEMARK_BENCH_CATCH_UP_TIMEOUT_S', 180) * 1000,
  };
}

function readTransports(value: string | undefined): Transport[] {
  if (value === undefined || value === '') {
    return [...TRANSPORTS];
  }
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !TRANSPORTS.includes(name as Transport));
  if (unknown.length > 0) {
    throw new Error(`TIDEMARK_BENCH_TRANSPORTS: unknown ${unknown.join(', ')}`);
  }
  return names as Transport[];
}

/** Starts a fresh environment for `transport`, runs both phases on it, and stops it. */
async function measureTransport(
  transport: Transport,
  settings: Settings,
  track: (environment?: PipelineEnvironment) => void,
): Promise<TransportResult> {
  console.log(`${transport}: starting the registry${transport === 'kafka' ? ' and a broker' : ''}`);
  const loadBefore = loadavg()[0]!;
  const environment = await PipelineEnvironment.start(transport);
  track(environment);
  try {
    await warmUp(environment.database, settings);

    console.log(`${transport}: appending ${settings.flood.events} TagMoved events`);
    const throughput = await measureThroughput(environment.database, settings);

    const { rate, seconds } = settings.steady;
    console.log(`${transport}: pushing ${rate} manifests/s for ${seconds} s`);
    const steady = await measureSteadyLag(environment, settings);

    environment.complete();
    return {
      transport,
      throughput,
      steady,
      loadAverage: { before: loadBefore, after: loadavg()[0]! },
    };
  } finally {
    await environment.stop();
    track(undefined);
  }
}

async function main(): Promise<number> {
  const settings = readSettings();
  let current: PipelineEnvironment | undefined;
  process.once('SIGINT', () => {
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });

  const results: TransportResult[] = [];
  for (const transport of settings.transports) {
    results.push(await measureTransport(transport, settings, (running) => (current = running)));
  }

  results.forEach((result) => printTransportTable(result, settings));
  await writeResults(RESULTS_FILE, settings, results);
  console.log(`\nresults written to ${RESULTS_FILE}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`event-pipeline: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
