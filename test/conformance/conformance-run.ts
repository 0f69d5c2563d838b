import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Runs the OCI conformance suite (test/conformance/run.sh) against the registry at `url`,
 * keeping its report files in test-results/`resultsName` for CI, and asserts that every test
 * passed: no failure, error or skip.
 */
export async function assertConformancePasses(url: string, resultsName: string): Promise<void> {
  const results = resolve('test-results', resultsName);
  const { code, output } = await run('bash', ['test/conformance/run.sh', url, results]);
  const summary = output.split('\n').find((line) => line.startsWith('conformance:')) ?? output;
  assert.equal(code, 0, summary);
  assert.match(summary, / 0 failed, 0 errors, 0 skipped/);
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}
