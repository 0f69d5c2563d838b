import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** How to start one JVM: classpath folder, JVM flags, main class and its arguments. */
export interface JavaCommand {
  /** Folder of jars; every jar in it goes on the classpath. */
  readonly libsDir: string;
  readonly jvmOptions: readonly string[];
  readonly mainClass: string;
  readonly args: readonly string[];
  /** File that receives the JVM's stdout and stderr (appended to). */
  readonly outputFile: string;
}

/** JVM flags that start a test server faster on two cores: C1-only JIT, serial collector. */
export const QUICK_START_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

// Runs beside each JVM with its stdin piped from this process. The pipe closes however
// this process ends (normal exit, uncaught signal, SIGKILL), and the watchdog then kills
// the JVM, so a crashed or timed-out suite never leaves a broker running.
const WATCHDOG_SCRIPT = 'cat >/dev/null; kill -KILL "$1" 2>/dev/null';

/**
 * A JVM child process. It does not keep the Node event loop alive while it runs, so a
 * suite that forgets to stop it still ends; a watchdog kills the JVM when Node exits.
 */
export class JavaProcess {
  private exitCode: number | null = null;
  private hasExited = false;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly mainClass: string,
    watchdog: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      const settle = (code: number | null): void => {
        this.exitCode = code;
        this.hasExited = true;
        stopWatchdog(watchdog);
        resolve();
      };
      child.once('exit', settle);
      child.once('error', () => settle(null));
    });
  }

  /** Starts the JVM; throws only if the output file cannot be opened. */
  static start(command: JavaCommand): JavaProcess {
    const output = openSync(command.outputFile, 'a');
    try {
      const child = spawn(
        javaBinary(),
        [
          ...command.jvmOptions,
          '-cp',
          join(command.libsDir, '*'),
          command.mainClass,
          ...command.args,
        ],
        { stdio: ['ignore', output, output] },
      );
      child.unref();
      return new JavaProcess(child, command.mainClass, startWatchdog(child));
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(output);
    }
  }

  get isRunning(): boolean {
    return !this.hasExited;
  }

  /** The exit code, or null while running or when the JVM died from a signal. */
  get code(): number | null {
    return this.exitCode;
  }

  /** Waits for the JVM to exit by itself; throws if it does not within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    if (!(await this.waitUpTo(timeoutMs))) {
      throw new Error(`java ${this.mainClass} did not exit within ${timeoutMs} ms`);
    }
    return this.exitCode;
  }

  /** Sends SIGKILL and waits for the exit. Safe to call when already exited. */
  async kill(): Promise<void> {
    if (this.hasExited) {
      return;
    }
    this.child.ref();
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /**
   * Sends SIGTERM (the JVM runs its shutdown hooks) and waits up to `graceMs`, then
   * falls back to SIGKILL. Safe to call when already exited.
   */
  async terminate(graceMs: number): Promise<void> {
    if (this.hasExited) {
      return;
    }
    this.child.ref();
    this.child.kill('SIGTERM');
    if (!(await this.waitUpTo(graceMs))) {
      await this.kill();
    }
  }

  // Resolves true once exited, false after timeoutMs; the timer keeps Node alive meanwhile.
  private async waitUpTo(timeoutMs: number): Promise<boolean> {
    const timeout = new AbortController();
    const timedOut = delay(timeoutMs, false, { signal: timeout.signal }).catch(() => false);
    const hasExited = await Promise.race([this.exited.then(() => true), timedOut]);
    timeout.abort();
    return hasExited;
  }
}

function javaBinary(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

function startWatchdog(jvm: ChildProcess): ChildProcess {
  // Its own process group, so a Ctrl-C that stops the suite does not stop the watchdog too.
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'watchdog', String(jvm.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  return watchdog;
}

// Signals the watchdog's whole group (SIGTERM to `sh` alone would leave `cat` waiting)
// before closing its stdin, so it never gets to kill the JVM's pid after the JVM exited.
function stopWatchdog(watchdog: ChildProcess): void {
  if (watchdog.pid !== undefined && watchdog.exitCode === null) {
    try {
      process.kill(-watchdog.pid, 'SIGTERM');
    } catch {
      // Already gone: nothing to stop.
    }
  }
  watchdog.stdin?.destroy();
}
