import { EVENT_PAYLOADS } from '@tidemark/events';
import { STATE_TABLES } from '@tidemark/state';
import {
  descriptorOf,
  expectStatus,
  imageIndex,
  imageManifest,
  OCI_MANIFEST,
  OciClient,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rebuildState } from '../../../apps/cli/src/rebuild-state';

// DESIGN: "State tables are a function of the event log: dropping them and replaying the log
// must rebuild them exactly." A varied workload goes through a running registry over HTTP;
// the state tables are then wrecked and rebuilt from the log, in process and by the CLI, and
// must come out equal to what the registry built as it went, row for row.

const APP = 'rebuild/app';
const MIRROR = 'rebuild/mirror';
const CONFIG = JSON.stringify({ architecture: 'amd64', os: 'linux' });

/** Every state table, dumped in primary-key order. */
const DUMPS: Record<(typeof STATE_TABLES)[number], string> = {
  repositories: 'SELECT * FROM repositories ORDER BY name',
  repository_blobs: 'SELECT * FROM repository_blobs ORDER BY repository, digest',
  blobs: 'SELECT * FROM blobs ORDER BY digest',
  manifests: 'SELECT * FROM manifests ORDER BY repository, digest',
  manifest_references:
    'SELECT * FROM manifest_references ORDER BY repository, manifest_digest, kind, referenced_digest',
  tags: 'SELECT * FROM tags ORDER BY repository, tag',
};

type Snapshot = Record<string, unknown[]>;

async function snapshot(registry: TestRegistry): Promise<Snapshot> {
  const tables: Snapshot = {};
  for (const [table, sql] of Object.entries(DUMPS)) {
    tables[table] = await registry.database.query(sql);
  }
  return tables;
}

function assertSameState(actual: Snapshot, expected: Snapshot): void {
  for (const table of Object.keys(DUMPS)) {
    assert.deepEqual(actual[table], expected[table], `table ${table} differs`);
  }
}

/** A tiny image manifest over the shared config and one layer, told apart by `label`. */
function anImage(layer: string, label: string): Record<string, unknown> {
  return imageManifest(descriptorOf(CONFIG), [descriptorOf(layer)], { annotations: { label } });
}

/** The descriptor of the image `anImage(layer, label)` builds. */
function anImageDescriptor(layer: string, label: string): object {
  return descriptorOf(JSON.stringify(anImage(layer, label)), OCI_MANIFEST);
}

async function send(
  client: OciClient,
  method: string,
  path: string,
  status: number,
  headers: Record<string, string> = {},
): Promise<void> {
  expectStatus(await client.request(method, path, { headers }), status);
}

/** Pushes, mounts, moves and deletes enough to produce every kind of event. */
async function runWorkload(client: OciClient): Promise<void> {
  for (const blob of [CONFIG, 'layer one', 'layer two', 'layer three', 'orphan']) {
    await client.pushBlob(APP, blob);
  }
  const one = await client.pushManifest(APP, 'v1', anImage('layer one', 'one'));
  const two = await client.pushManifest(
    APP,
    'v2?tag=latest&tag=stable',
    anImage('layer two', 'two'),
  );
  await client.pushManifest(APP, 'v1', anImage('layer two', 'two'));
  await client.pushManifest(APP, one, anImage('layer one', 'one'));
  const three = JSON.stringify(anImage('layer three', 'three'));
  await client.pushManifest(APP, sha256(three), three);

  await send(client, 'DELETE', `/v2/${APP}/blobs/${sha256('orphan')}`, 202);
  await client.pushBlob(APP, 'orphan');
  await send(client, 'DELETE', `/v2/${APP}/blobs/${sha256('orphan')}`, 202);

  for (const blob of [CONFIG, 'layer one']) {
    await send(
      client,
      'POST',
      `/v2/${MIRROR}/blobs/uploads/?mount=${sha256(blob)}&from=${APP}`,
      201,
    );
  }
  await client.pushManifest(MIRROR, 'v1', anImage('layer one', 'one'));

  const index = JSON.stringify(
    imageIndex([anImageDescriptor('layer one', 'one'), anImageDescriptor('layer two', 'two')]),
  );
  await client.pushManifest(APP, 'multi', index);

  const subject = anImageDescriptor('layer one', 'one');
  const signature = {
    ...anImage('layer three', 'signature'),
    subject,
    artifactType: 'application/vnd.example.sig',
  };
  await client.pushManifest(APP, sha256(JSON.stringify(signature)), signature);
  await client.pushManifest(APP, 'sbom', { ...anImage('layer two', 'sbom'), subject });

  await pushConditionally(client, 'stable', one, `"${two}"`, 201);
  await pushConditionally(client, 'stable', two, `"${two}"`, 412);

  await send(client, 'DELETE', `/v2/${APP}/manifests/latest`, 202);
  await send(client, 'DELETE', `/v2/${APP}/manifests/${sha256(three)}`, 202);
  const temporary = await client.pushManifest(APP, 'temporary', anImage('layer three', 'temp'));
  await send(client, 'DELETE', `/v2/${APP}/manifests/${temporary}`, 202);
}

/** Moves `tag` to the manifest `digest` only if the tag still points where If-Match says. */
async function pushConditionally(
  client: OciClient,
  tag: string,
  digest: string,
  ifMatch: string,
  status: number,
): Promise<void> {
  const manifest = await client.request('GET', `/v2/${APP}/manifests/${digest}`);
  const body = Buffer.from(await manifest.arrayBuffer());
  const headers = { 'Content-Type': OCI_MANIFEST, 'If-Match': ifMatch };
  expectStatus(
    await client.request('PUT', `/v2/${APP}/manifests/${tag}`, { headers, body }),
    status,
  );
}

/**
 * Leaves the state tables wrong in two ways a rebuild must undo: everything the log built is
 * gone, and rows that no event explains are there instead.
 */
async function corruptState(registry: TestRegistry): Promise<void> {
  await registry.database.transaction(async (tx) => {
    await tx.query(`TRUNCATE ${STATE_TABLES.join(', ')}`);
    await tx.query("INSERT INTO repositories (name, created_at) VALUES ('rebuild/ghost', now())");
    await tx.query(
      "INSERT INTO tags (repository, tag, digest, updated_at) VALUES ($1, 'ghost', $2, now())",
      [APP, sha256('no such manifest')],
    );
  });
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const main = join(__dirname, '../../../apps/cli/src/main.js');
  const env = { ...process.env, TIDEMARK_LOG_LEVEL: 'error' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('rebuilding the state tables from the event log', () => {
  let registry: TestRegistry;
  let built: Snapshot;

  before(async () => {
    registry = await startTestRegistry();
    await runWorkload(new OciClient(registry.url));
    built = await snapshot(registry);
  });

  after(async () => {
    await registry.close();
  });

  it('dumps every state table', () => {
    assert.deepEqual(Object.keys(DUMPS).sort(), [...STATE_TABLES].sort());
  });

  it('ran a workload that records every type of event', async () => {
    const rows = await registry.database.query<{ type: string }>(
      'SELECT DISTINCT type FROM events',
    );
    assert.deepEqual(rows.map((row) => row.type).sort(), Object.keys(EVENT_PAYLOADS).sort());
  });

  it('ran a workload that left rows in every state table', () => {
    for (const [table, rows] of Object.entries(built)) {
      assert.ok(rows.length > 0, `${table} is empty`);
    }
  });

  it('rebuilds every table exactly with rebuildState', async () => {
    await corruptState(registry);
    assert.notDeepEqual(await snapshot(registry), built);

    const [{ count }] = await registry.database.query<{ count: string }>(
      'SELECT count(*) FROM events',
    );
    assert.equal(await rebuildState(registry.database), Number(count));
    assertSameState(await snapshot(registry), built);
  });

  it('rebuilds every table exactly with the rebuild-state command', async () => {
    await corruptState(registry);
    assert.notDeepEqual(await snapshot(registry), built);

    const url = registry.config.database.url!;
    const { code, output } = await runCli(['rebuild-state', '--database-url', url]);
    assert.equal(code, 0, output);
    assertSameState(await snapshot(registry), built);
  });

  it('keeps serving what was pushed after a rebuild', async () => {
    const client = new OciClient(registry.url);
    const tags = await client.request('GET', `/v2/${APP}/tags/list`);
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, [
      'multi',
      'sbom',
      'stable',
      'v1',
      'v2',
    ]);
    await client.pushImage(APP, 'after-rebuild');
  });
});
