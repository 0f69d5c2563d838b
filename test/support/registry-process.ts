import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where and how the benchmarked registry runs. */
export interface RegistryProcessOptions {
  readonly port: number;
  readonly postgresPort: number;
  readonly dataDir: string;
  /** Receives the child's stdout and stderr. */
  readonly logFile: string;
  readonly startTimeoutMs?: number;
  /** More `TIDEMARK_*` settings, e.g. an external database URL or Kafka brokers. */
  readonly env?: Record<string, string>;
}

const CLI = resolve(__dirname, '../../apps/cli/src/main.js');
const STOP_TIMEOUT_MS = 30_000;

/**
 * The registry as a child process (`tidemark serve` from the build output), so that its
 * memory can be measured on its own, or so that it can be killed mid-work. Unless `env`
 * names a database it runs an embedded Postgres in the data directory; the caller's own
 * `TIDEMARK_*` variables are never passed on.
 */
export class RegistryProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly options: RegistryProcessOptions,
    readonly url: string,
  ) {}

  /** Starts the registry and waits until `GET /v2/` answers. Throws when it does not. */
  static async start(options: RegistryProcessOptions): Promise<RegistryProcess> {
    const log = openSync(options.logFile, 'a');
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: childEnvironment(options),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const registry = new RegistryProcess(child, options, `http://127.0.0.1:${options.port}`);
    try {
      await registry.waitUntilReady(options.startTimeoutMs ?? 120_000);
    } catch (error) {
      await registry.stop();
      throw error;
    }
    return registry;
  }

  get pid(): number {
    if (this.child.pid === undefined) {
      throw new Error('the registry process did not start');
    }
    return this.child.pid;
  }

  /**
   * Stops the registry with SIGTERM (it stops its Postgres on the way out), or SIGKILL after
   * a timeout, then stops a Postgres left behind. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      const isExited = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false)]);
      if (!isExited) {
        this.child.kill('SIGKILL');
        await exited;
      }
    }
    await this.stopOrphanedPostgres();
  }

  /** Kills the registry with SIGKILL, as a crash would; its Postgres keeps running. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGKILL');
      await exited;
    }
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the registry exited during start; see ${this.options.logFile}`);
      }
      const status = await fetch(`${this.url}/v2/`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) {
        return;
      }
      await sleep(250);
    }
    throw new Error(
      `the registry did not answer within ${timeoutMs} ms; see ${this.options.logFile}`,
    );
  }

  private async stopOrphanedPostgres(): Promise<void> {
    const pidFile = join(this.options.dataDir, 'postgres', 'postmaster.pid');
    const isRunning = (pid: number): boolean => existsSync(pidFile) && isPostgres(pid);
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
    if (!Number.isInteger(pid) || !isRunning(pid)) {
      return;
    }
    // SIGINT is Postgres's fast shutdown; it removes postmaster.pid when done.
    process.kill(pid, 'SIGINT');
    for (let waited = 0; waited < STOP_TIMEOUT_MS && isRunning(pid); waited += 100) {
      await sleep(100);
    }
  }
}

function childEnvironment(options: RegistryProcessOptions): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('TIDEMARK_'));
  return {
    ...Object.fromEntries(inherited),
    TIDEMARK_HOST: '127.0.0.1',
    TIDEMARK_PORT: String(options.port),
    TIDEMARK_DATA_DIR: options.dataDir,
    TIDEMARK_EMBEDDED_PG_PORT: String(options.postgresPort),
    TIDEMARK_LOG_LEVEL: process.env.TIDEMARK_BENCH_LOG_LEVEL ?? 'warn',
    ...options.env,
  };
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
  } catch {
    return false;
  }
}
