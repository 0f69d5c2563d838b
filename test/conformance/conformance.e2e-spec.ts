import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { resolve } from 'node:path';
import { startTestRegistry, type TestRegistry } from '@tidemark/testing';

// The OCI distribution-spec conformance suite (pinned in scripts/install-tools.sh) against
// a standalone registry, with every API and data kind on (see test/conformance/README.md).
// Its report files stay in test-results/conformance for CI to keep.
describe('OCI distribution-spec conformance', () => {
  let registry: TestRegistry;

  before(async () => {
    registry = await startTestRegistry();
  });

  after(async () => {
    await registry.close();
  });

  it('passes every test with no failure, error or skip', async () => {
    const results = resolve('test-results/conformance');
    const { code, output } = await run('bash', ['test/conformance/run.sh', registry.url, results]);
    const summary = output.split('\n').find((line) => line.startsWith('conformance:')) ?? output;
    assert.equal(code, 0, summary);
    assert.match(summary, / 0 failed, 0 errors, 0 skipped/);
  });
});

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
