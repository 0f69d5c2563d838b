import { OciClient } from './oci-client';

/** A registry instance pushes can be sent to. */
export interface PushTarget {
  readonly url: string;
}

/**
 * Pushes images without pause, from `concurrency` loops, to the instances it was given in
 * turn, until stopped: the load that runs while a test kills or replays something. A push
 * that fails on an instance the test retired (because it is about to kill it) is expected;
 * any other failure is kept and thrown by `stop`.
 */
export class BackgroundPusher {
  private readonly targets: PushTarget[] = [];
  private readonly retired = new Set<PushTarget>();
  private readonly failures: unknown[] = [];
  private loops: Promise<void>[] = [];
  private isStopping = false;
  private next = 0;
  pushed = 0;

  constructor(
    private readonly repositories: readonly string[],
    private readonly concurrency = 2,
  ) {}

  /** Starts pushing to `targets`. */
  start(targets: readonly PushTarget[]): void {
    this.targets.push(...targets);
    this.loops = Array.from({ length: this.concurrency }, () => this.pushUntilStopped());
  }

  /** Sends later pushes to `target` too. */
  add(target: PushTarget): void {
    this.targets.push(target);
  }

  /** Sends no more pushes to `target`, and forgives those in flight that fail. */
  retire(target: PushTarget): void {
    this.retired.add(target);
    this.targets.splice(this.targets.indexOf(target), 1);
  }

  /** Stops after the pushes in flight; throws the first unexpected failure. */
  async stop(): Promise<void> {
    this.isStopping = true;
    await Promise.all(this.loops);
    if (this.failures.length > 0) {
      throw new Error(`${this.failures.length} pushes failed`, { cause: this.failures[0] });
    }
  }

  private async pushUntilStopped(): Promise<void> {
    while (!this.isStopping) {
      const count = this.next++;
      const target = this.targets[count % this.targets.length]!;
      const repository = this.repositories[count % this.repositories.length]!;
      try {
        await new OciClient(target.url).pushImage(repository, `t${count % 4}`, `layer ${count}`);
        this.pushed++;
      } catch (error) {
        if (!this.retired.has(target)) {
          this.failures.push(error);
        }
      }
    }
  }
}
