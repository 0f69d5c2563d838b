import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, OciClient, sha256 } from '@tidemark/testing';
import { RegistryProcess } from '../../support/registry-process';

// The standalone default, as `npm start` runs it: one process, embedded Postgres and
// filesystem storage under the data directory.
describe('tidemark serve, standalone', () => {
  let workDir: string;
  let registry: RegistryProcess | undefined;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-standalone-'));
    // As root, the embedded Postgres runs as the postgres user, which must enter the folder.
    await chmod(workDir, 0o755);
  });

  after(async () => {
    await registry?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('keeps every blob, manifest and tag across a restart', async () => {
    const options = {
      port: await freePort(),
      postgresPort: await freePort(),
      dataDir: join(workDir, 'data'),
      logFile: join(workDir, 'registry.log'),
    };
    registry = await RegistryProcess.start(options);
    const manifestDigest = await new OciClient(registry.url).pushImage(
      'team/app',
      'v1',
      'survives',
    );
    await registry.stop();

    registry = await RegistryProcess.start(options);
    const client = new OciClient(registry.url);
    const manifest = await client.request('GET', '/v2/team/app/manifests/v1');
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), manifestDigest);
    const layer = await client.request('GET', `/v2/team/app/blobs/${sha256('survives')}`);
    assert.equal(await layer.text(), 'survives');
    const tags = (await (await client.request('GET', '/v2/team/app/tags/list')).json()) as {
      tags: string[];
    };
    assert.deepEqual(tags.tags, ['v1']);
  });
});
