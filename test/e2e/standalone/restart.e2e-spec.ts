import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePort,
  OciClient,
  OCTET_STREAM_HEADERS,
  patternedBytes,
  runTool,
  sha256,
  withQuery,
} from '@tidemark/testing';
import { RegistryProcess } from '../../support/registry-process';

// The standalone default, as `npm start` runs it: one process, embedded Postgres and
// filesystem storage under the data directory.

const CLI = resolve(__dirname, '../../../apps/cli/src/main.js');

/** A blob uploaded in two chunks, the first before the restart and the second after. */
const UPLOADED = patternedBytes(300_000, 7);
const FIRST_CHUNK = UPLOADED.subarray(0, 120_000);
const SECOND_CHUNK = UPLOADED.subarray(120_000);

/** Starts an upload of UPLOADED and sends its first chunk; returns the session's Location. */
async function startUpload(client: OciClient): Promise<string> {
  const started = await client.request('POST', '/v2/team/app/blobs/uploads/');
  assert.equal(started.status, 202);
  const chunk = await client.request('PATCH', started.headers.get('location')!, {
    headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': `0-${FIRST_CHUNK.length - 1}` },
    body: FIRST_CHUNK,
  });
  assert.equal(chunk.status, 202);
  assert.equal(chunk.headers.get('range'), `0-${FIRST_CHUNK.length - 1}`);
  return chunk.headers.get('location')!;
}

/** Resumes the upload at `location` where its status says it stands, and completes it. */
async function finishUpload(client: OciClient, location: string): Promise<void> {
  const status = await client.request('GET', location);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${FIRST_CHUNK.length - 1}`);
  const end = UPLOADED.length - 1;
  const chunk = await client.request('PATCH', status.headers.get('location')!, {
    headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': `${FIRST_CHUNK.length}-${end}` },
    body: SECOND_CHUNK,
  });
  assert.equal(chunk.status, 202);
  assert.equal(chunk.headers.get('range'), `0-${end}`);
  const digest = sha256(UPLOADED);
  const done = await client.request(
    'PUT',
    withQuery(chunk.headers.get('location')!, `digest=${digest}`),
  );
  assert.equal(done.status, 201);
  assert.equal(done.headers.get('docker-content-digest'), digest);
}

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

  it('keeps every blob, manifest, tag and open upload across a restart', async () => {
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
    const upload = await startUpload(new OciClient(registry.url));
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

    await finishUpload(client, upload);
    const uploaded = await client.request('GET', `/v2/team/app/blobs/${sha256(UPLOADED)}`);
    assert.deepEqual(Buffer.from(await uploaded.arrayBuffer()), UPLOADED);
  });

  it('lets tidemark replay reach the embedded Postgres a running serve started', async () => {
    await registry?.stop();
    const dataDir = join(workDir, 'replay-data');
    registry = await RegistryProcess.start({
      port: await freePort(),
      postgresPort: await freePort(),
      dataDir,
      logFile: join(workDir, 'replay-registry.log'),
    });
    await new OciClient(registry.url).pushImage('team/replayed', 'v1');

    // Only the data directory: the server's port is read from its postmaster.pid.
    const replay = await runTool(
      process.execPath,
      [CLI, 'replay', 'tag-history', '--data-dir', dataDir],
      { env: { PATH: process.env.PATH ?? '', TIDEMARK_LOG_LEVEL: 'info' }, canFail: true },
    );

    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /consumer replayed/);
    const client = new OciClient(registry.url);
    assert.equal((await client.request('GET', '/v2/team/replayed/manifests/v1')).status, 200);
  });
});
