import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { PhaseSettings, SteadyLagResult, ThroughputResult } from './pipeline-phases';
import type { Transport } from './pipeline-environment';

/** Everything measured for one transport. */
export interface TransportResult {
  readonly transport: Transport;
  readonly throughput: ThroughputResult;
  readonly steady: SteadyLagResult;
  /** The machine's 1-minute load average when the run started and ended: others share it. */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/** Prints one transport's figures as a three-column table. */
export function printTransportTable(result: TransportResult, settings: PhaseSettings): void {
  const { throughput, steady } = result;
  const { load, lagMs } = steady;
  const rows: string[][] = [
    ['phase', 'figure', 'value'],
    ['throughput', 'TagMoved events appended', String(throughput.events)],
    ['throughput', 'append time (s)', throughput.appendSeconds.toFixed(2)],
    ['throughput', 'appended/s', throughput.appendedPerSecond.toFixed(0)],
    ['throughput', 'first commit to last applied (s)', throughput.endToEndSeconds.toFixed(2)],
    ['throughput', 'applied/s, end to end', throughput.appliedPerSecond.toFixed(0)],
    ['throughput', 'last commit to last applied (s)', throughput.drainSeconds.toFixed(2)],
    ['throughput', 'every projection caught up (s)', throughput.allProjectionsSeconds.toFixed(2)],
    ['steady', 'target rate (manifests/s)', String(settings.steady.rate)],
    ['steady', 'achieved rate (manifests/s)', load.achievedRate.toFixed(1)],
    ['steady', 'target achieved', steady.isRateAchieved ? 'yes' : 'no'],
    ['steady', 'pushes ok / failed', `${load.succeeded} / ${load.failed}`],
    ['steady', 'latest start behind schedule (ms)', load.maxStartDelayMs.toFixed(1)],
    [
      'steady',
      'push latency p50 / p99 (ms)',
      `${ms(load.pushLatencyMs.p50)} / ${ms(load.pushLatencyMs.p99)}`,
    ],
    ['steady', 'TagMoved events measured', String(lagMs.count)],
    ['steady', 'commit to projection lag p50 (ms)', ms(lagMs.p50)],
    ['steady', 'commit to projection lag p99 (ms)', ms(lagMs.p99)],
    ['steady', 'commit to projection lag max (ms)', ms(lagMs.max)],
    ['steady', 'commit to projection lag mean (ms)', ms(lagMs.mean)],
    [
      'machine',
      'load average before / after',
      `${load1(result, 'before')} / ${load1(result, 'after')}`,
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const format = (row: string[]): string =>
    row
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  console.log(`\n${result.transport} transport`);
  console.log(rows.map(format).join('\n'));
  if (load.firstError !== undefined) {
    console.log(`first failed push: ${load.firstError}`);
  }
}

/** Writes the settings, the machine and every transport's figures as JSON. */
export async function writeResults(
  file: string,
  settings: PhaseSettings,
  results: readonly TransportResult[],
): Promise<void> {
  const document = {
    recordedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: process.platform,
    },
    settings,
    results: Object.fromEntries(results.map((result) => [result.transport, rounded(result)])),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
}

function load1(result: TransportResult, moment: 'before' | 'after'): string {
  return result.loadAverage[moment].toFixed(2);
}

function ms(value: number): string {
  return value.toFixed(1);
}

// Three decimals are plenty for seconds and milliseconds alike, and keep the file diffable.
function rounded(result: TransportResult): unknown {
  return JSON.parse(
    JSON.stringify(result, (_, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value,
    ),
  );
}
