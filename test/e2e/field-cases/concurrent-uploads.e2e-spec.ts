import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  locationPath,
  OciClient,
  OCTET_STREAM_HEADERS,
  patternedBytes,
  sha256,
  startTestRegistry,
  withQuery,
  type TestRegistry,
} from '@tidemark/testing';

// Field case F06: independent pushes of one identical blob, racing to commit it. Storage is
// content-addressed, so every commit of the same digest must succeed (DS 1.1.1 use case
// "Layer Upload De-duplication").

const ROUNDS = 4;

describe('field case F06: concurrent uploads of one blob', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry.close();
  });

  /** Opens a session in `repository` and PATCHes all of `content`; returns the Location. */
  async function stageUpload(repository: string, content: Buffer): Promise<string> {
    const head = await client.request('HEAD', `/v2/${repository}/blobs/${sha256(content)}`);
    assert.equal(head.status, 404);
    const start = await client.request('POST', `/v2/${repository}/blobs/uploads/`);
    assert.equal(start.status, 202);
    const chunk = await client.request('PATCH', start.headers.get('location')!, {
      headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': `0-${content.length - 1}` },
      body: content,
    });
    assert.equal(chunk.status, 202);
    return chunk.headers.get('location')!;
  }

  /** Stages every upload, then sends all their closing PUTs at once. */
  async function raceCommits(
    uploads: readonly { repository: string; content: Buffer }[],
  ): Promise<Response[]> {
    const locations = await Promise.all(
      uploads.map(({ repository, content }) => stageUpload(repository, content)),
    );
    return Promise.all(
      locations.map((location, index) =>
        client.request('PUT', withQuery(location, `digest=${sha256(uploads[index]!.content)}`)),
      ),
    );
  }

  async function assertServed(repository: string, content: Buffer): Promise<void> {
    const blob = await client.request('GET', `/v2/${repository}/blobs/${sha256(content)}`);
    assert.equal(blob.status, 200, repository);
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), content, repository);
  }

  it('F06: commits the same blob racing into two repositories, both with 201', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const content = patternedBytes(256 * 1024, 100 + round);
      const repositories = [`team/app-a${round}`, `team/app-b${round}`];

      const answers = await raceCommits(
        repositories.map((repository) => ({ repository, content })),
      );

      answers.forEach((answer, index) => {
        assert.equal(answer.status, 201, `round ${round}, ${repositories[index]}`);
        assert.equal(locationPath(answer), `/v2/${repositories[index]}/blobs/${sha256(content)}`);
        assert.equal(answer.headers.get('docker-content-digest'), sha256(content));
      });
      for (const repository of repositories) {
        await assertServed(repository, content);
      }
    }
  });

  it('F06: commits the same blob racing into one repository, every upload with 201', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const content = patternedBytes(256 * 1024, 200 + round);
      const repositories = Array.from({ length: 4 }, () => 'team/shared');

      const answers = await raceCommits(
        repositories.map((repository) => ({ repository, content })),
      );

      assert.deepEqual(
        answers.map((answer) => answer.status),
        [201, 201, 201, 201],
        `round ${round}`,
      );
      await assertServed('team/shared', content);
    }
  });

  it('F06: commits many different blobs racing into one repository, every one with 201', async () => {
    const contents = Array.from({ length: 48 }, (_, index) => patternedBytes(4096, 400 + index));

    const answers = await raceCommits(
      contents.map((content) => ({ repository: 'team/crowded', content })),
    );

    assert.deepEqual(
      answers.map((answer) => answer.status),
      contents.map(() => 201),
    );
    for (const content of contents) {
      await assertServed('team/crowded', content);
    }
  });

  it('F06: commits a blob with 201 while the same digest is mounted into the repository', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const content = patternedBytes(64 * 1024, 300 + round);
      const digest = sha256(content);
      await client.pushBlob('team/base', content);
      const location = await stageUpload(`team/racing${round}`, content);

      const [put, mount] = await Promise.all([
        client.request('PUT', withQuery(location, `digest=${digest}`)),
        client.request(
          'POST',
          `/v2/team/racing${round}/blobs/uploads/?mount=${digest}&from=team/base`,
        ),
      ]);

      assert.equal(put.status, 201, `round ${round}: PUT`);
      assert.equal(mount.status, 201, `round ${round}: mount`);
      assert.equal(locationPath(mount), `/v2/team/racing${round}/blobs/${digest}`);
      await assertServed(`team/racing${round}`, content);
    }
  });
});
