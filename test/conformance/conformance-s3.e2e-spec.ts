import { after, before, describe, it } from 'node:test';
import { assertConformancePasses } from './conformance-run';
import {
  s3Storage,
  startS3Server,
  startTestRegistry,
  type S3Server,
  type TestRegistry,
} from '@tidemark/testing';

// The OCI distribution-spec conformance suite, as in conformance.e2e-spec.ts, against a
// standalone registry whose blobs live in S3 (S3Proxy) instead of the filesystem. Its report
// files stay in test-results/conformance-s3.
describe('OCI distribution-spec conformance on S3 storage', () => {
  let server: S3Server;
  let registry: TestRegistry;

  before(async () => {
    server = await startS3Server();
    const storage = s3Storage(server, 'conformance');
    registry = await startTestRegistry({ storage });
  });

  after(async () => {
    await registry?.close();
    await server?.stop();
  });

  it('passes every test with no failure, error or skip', async () => {
    await assertConformancePasses(registry.url, 'conformance-s3');
  });
});
