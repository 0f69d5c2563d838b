import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  errorCode,
  imageManifest,
  OciClient,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

describe('PUT /v2/:name/manifests/:tag with If-Match / If-None-Match', () => {
  let registry: TestRegistry;
  let client: OciClient;
  const manifests: string[] = [];

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    const config = await client.pushBlob('team/promote', '{}');
    for (let index = 0; index < 12; index++) {
      const layer = `layer ${index}`;
      const digest = await client.pushBlob('team/promote', layer);
      manifests.push(
        JSON.stringify(
          imageManifest({ digest: config, size: 2 }, [{ digest, size: layer.length }]),
        ),
      );
    }
  });

  after(async () => {
    await registry.close();
  });

  function put(
    tag: string,
    manifest: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return client.request('PUT', `/v2/team/promote/manifests/${tag}`, {
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', ...headers },
      body: manifest,
    });
  }

  async function refusals(tag: string): Promise<Record<string, unknown>[]> {
    const rows = await registry.database.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM events WHERE type = 'TagMoveRefused' AND payload->>'tag' = $1 ORDER BY position",
      [tag],
    );
    return rows.map((row) => row.payload);
  }

  it('creates a tag with If-None-Match: * and refuses a second create with 412', async () => {
    const created = await put('prod', manifests[0]!, { 'If-None-Match': '*' });
    assert.equal(created.status, 201);
    const etag = created.headers.get('etag');
    assert.equal(etag, `"${created.headers.get('docker-content-digest')}"`);

    const again = await put('prod', manifests[1]!, { 'If-None-Match': '*' });
    assert.equal(again.status, 412);
    const body = (await again.json()) as {
      errors: { code: string; detail: { tags: { tag: string; currentDigest: string }[] } }[];
    };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.deepEqual(body.errors[0]!.detail.tags, [
      { tag: 'prod', currentDigest: etag!.slice(1, -1) },
    ]);
    assert.equal((await refusals('prod')).length, 1);
  });

  it('moves a tag with If-Match naming its current digest and refuses a stale one', async () => {
    const current = (await client.request('HEAD', '/v2/team/promote/manifests/prod')).headers.get(
      'etag',
    )!;
    const moved = await put('prod', manifests[2]!, { 'If-Match': current });
    assert.equal(moved.status, 201);

    const stale = await put('prod', manifests[3]!, { 'If-Match': current });
    assert.equal(stale.status, 412);
    assert.equal(stale.headers.get('etag'), moved.headers.get('etag'));
    const head = await client.request('HEAD', '/v2/team/promote/manifests/prod');
    assert.equal(head.headers.get('etag'), moved.headers.get('etag'));
    const [movedEvent] = await registry.database.query<{ payload: { condition: unknown } }>(
      "SELECT payload FROM events WHERE type = 'TagMoved' AND payload->>'digest' = $1",
      [moved.headers.get('docker-content-digest')],
    );
    assert.deepEqual(movedEvent!.payload.condition, { ifMatch: [current.slice(1, -1)] });
  });

  it('refuses If-Match with a weak entity tag, which never matches strongly', async () => {
    const current = (await client.request('HEAD', '/v2/team/promote/manifests/prod')).headers.get(
      'etag',
    )!;
    const weak = await put('prod', manifests[3]!, { 'If-Match': `W/${current}` });
    assert.equal(weak.status, 412);
    const head = await client.request('HEAD', '/v2/team/promote/manifests/prod');
    assert.equal(head.headers.get('etag'), current);
  });

  it('refuses If-Match on a tag that does not exist', async () => {
    const response = await put('missing', manifests[4]!, { 'If-Match': '*' });
    assert.equal(response.status, 412);
    assert.equal((await client.request('HEAD', '/v2/team/promote/manifests/missing')).status, 404);
  });

  it('answers malformed conditions with 400 MANIFEST_INVALID', async () => {
    const malformed: Record<string, string>[] = [
      { 'If-Match': 'not-a-digest' },
      { 'If-None-Match': '"sha256:abc"' },
    ];
    for (const headers of malformed) {
      const response = await put('prod', manifests[5]!, headers);
      assert.equal(response.status, 400);
      assert.equal(await errorCode(response), 'MANIFEST_INVALID');
    }
  });

  it('lets exactly one of many racing conditional moves win', async () => {
    const current = (await client.request('HEAD', '/v2/team/promote/manifests/prod')).headers.get(
      'etag',
    )!;
    const refusedBefore = (await refusals('prod')).length;
    const racers = manifests.slice(6, 12);
    const responses = await Promise.all(
      racers.map((manifest) => put('prod', manifest, { 'If-Match': current })),
    );

    const winners = responses.filter((response) => response.status === 201);
    assert.equal(winners.length, 1);
    assert.ok(responses.every((response) => response.status === 201 || response.status === 412));
    assert.equal((await refusals('prod')).length - refusedBefore, racers.length - 1);
    const head = await client.request('HEAD', '/v2/team/promote/manifests/prod');
    assert.equal(head.headers.get('etag'), winners[0]!.headers.get('etag'));

    const moves = await registry.database.query<{
      payload: { digest: string; previousDigest: string | null };
    }>(
      "SELECT payload FROM events WHERE type = 'TagMoved' AND payload->>'tag' = 'prod' ORDER BY position",
    );
    for (let index = 1; index < moves.length; index++) {
      assert.equal(moves[index]!.payload.previousDigest, moves[index - 1]!.payload.digest);
    }
    assert.equal(`"${moves.at(-1)!.payload.digest}"`, head.headers.get('etag'));
  });

  it('lets exactly one of many racing creates with If-None-Match: * win', async () => {
    const racers = manifests.slice(6, 12);
    const responses = await Promise.all(
      racers.map((manifest) => put('canary', manifest, { 'If-None-Match': '*' })),
    );

    const winners = responses.filter((response) => response.status === 201);
    assert.equal(winners.length, 1);
    assert.ok(responses.every((response) => response.status === 201 || response.status === 412));
    assert.equal((await refusals('canary')).length, racers.length - 1);
    const moves = await registry.database.query<{ payload: { previousDigest: string | null } }>(
      "SELECT payload FROM events WHERE type = 'TagMoved' AND payload->>'tag' = 'canary'",
    );
    assert.deepEqual(
      moves.map((move) => move.payload.previousDigest),
      [null],
    );
    const head = await client.request('HEAD', '/v2/team/promote/manifests/canary');
    assert.equal(head.headers.get('etag'), winners[0]!.headers.get('etag'));
  });
});
