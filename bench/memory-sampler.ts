import { readFileSync, writeFileSync } from 'node:fs';

/** One reading of a process's resident memory, in bytes. */
export interface MemoryReading {
  /** Resident set size now (VmRSS). */
  readonly rssBytes: number;
  /** Highest resident set size since start or since the last peak reset (VmHWM). */
  readonly peakBytes: number;
}

/**
 * Samples the resident memory of another process from `/proc/<pid>/status` on an interval.
 * A measurement reports the highest of the samples and the kernel's own high-water mark,
 * which also catches spikes shorter than the interval.
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private highestSampled = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  /** Returns the current reading. Throws when the process is gone. */
  read(): MemoryReading {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return { rssBytes: field(status, 'VmRSS'), peakBytes: field(status, 'VmHWM') };
  }

  /**
   * Starts a measurement. Resets the kernel's high-water mark first (`clear_refs` value 5,
   * Linux 4.0+), so the peak belongs to this measurement; returns false when the reset was
   * refused, in which case the peak also covers everything before.
   */
  start(): boolean {
    const isReset = this.resetPeak();
    this.highestSampled = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return isReset;
  }

  /** Ends the measurement and returns its peak resident memory in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.timer = undefined;
    const last = this.sample();
    return Math.max(this.highestSampled, last?.peakBytes ?? 0);
  }

  /** The highest resident memory sampled so far in this measurement. */
  get highest(): number {
    return this.highestSampled;
  }

  private sample(): MemoryReading | undefined {
    try {
      const reading = this.read();
      this.highestSampled = Math.max(this.highestSampled, reading.rssBytes);
      return reading;
    } catch {
      // The process exited; the caller learns that from the request that failed.
      return undefined;
    }
  }

  private resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) {
    throw new Error(`/proc status has no ${name}`);
  }
  return Number(match[1]) * 1024;
}
