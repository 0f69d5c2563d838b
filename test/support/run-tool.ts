import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';

/** How a command-line tool ended. */
export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `runTool`. */
export interface RunToolOptions {
  /** The whole environment of the tool; nothing of the test process's leaks in. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** When true, a non-zero exit is returned instead of failing the test. */
  readonly canFail?: boolean;
}

/**
 * Runs a command-line tool to its end and returns its exit code and output. Fails the test,
 * with the tool's stderr, when it exits non-zero (unless `canFail`) or cannot be started.
 * The tool is found on the PATH of `env`, which `npm test` points at the pinned clients.
 */
export async function runTool(
  name: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  const result = await collect(name, args, options);
  if (result.code !== 0 && options.canFail !== true) {
    assert.fail(`${name} ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`);
  }
  return result;
}

function collect(
  name: string,
  args: readonly string[],
  options: RunToolOptions,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(name, args, {
      env: options.env ?? { PATH: process.env.PATH ?? '' },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) =>
      reject(new Error(`${name} could not be started`, { cause: error })),
    );
    child.once('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? -1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}
