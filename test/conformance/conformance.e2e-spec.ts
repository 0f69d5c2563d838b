import { after, before, describe, it } from 'node:test';
import { assertConformancePasses } from './conformance-run';
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
    await assertConformancePasses(registry.url, 'conformance');
  });
});
