import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { OciClient, startTestRegistry, type TestRegistry } from '@tidemark/testing';

// DS v1.1 "Listing Tags" and the catalog: entries in lexical order, `n` at a time after
// `last`, and a `Link: <...>; rel="next"` header on every page but the last. The names below
// mix cases and the separators `-`, `.`, `_` and `/`, whose byte order differs from any
// locale's collation, so a list sorted by Postgres's default collation would come out wrong.

const REPOSITORY = 'page/tags';
const TAGS = [
  'v1',
  'V1',
  'v1.0',
  'v1-0',
  'v1_0',
  'v10',
  '_private',
  'A',
  'a',
  'latest',
  'Latest',
  '1.0',
  '0',
  'z-',
  'z.',
  'z_',
];
const OTHER_REPOSITORIES = [
  'page/a',
  'page/a/b',
  'page/a-b',
  'page/a.b',
  'page/a_b',
  'page/a__b',
  'page/a0',
  'page/ab',
  'page-x/a',
  'page.x',
  'page0',
  'pagez/a/b/c',
];
const REPOSITORIES = [REPOSITORY, ...OTHER_REPOSITORIES];
const NEXT_LINK = /^<(\/v2\/[^>]+)>; rel="next"$/;

/** Sorts by UTF-16 code units, which for these ASCII names is byte order. */
const byteOrder = (names: readonly string[]): string[] => [...names].sort();

interface Page {
  readonly entries: string[];
  readonly link: string | null;
}

describe('listing with pagination', () => {
  let registry: TestRegistry;
  let client: OciClient;

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    const digest = await client.pushImage(REPOSITORY, TAGS[0]!);
    const manifest = await client.request('GET', `/v2/${REPOSITORY}/manifests/${digest}`);
    const body = await manifest.text();
    for (const tag of TAGS.slice(1)) {
      await client.pushManifest(REPOSITORY, tag, body);
    }
    for (const repository of OTHER_REPOSITORIES) {
      await client.pushBlob(repository, `a blob of ${repository}`);
    }
  });

  after(async () => {
    await registry.close();
  });

  /** Fetches one page of a list whose entries are under `field`. */
  async function fetchPage(path: string, field: 'tags' | 'repositories'): Promise<Page> {
    const response = await client.request('GET', path);
    assert.equal(response.status, 200, path);
    const body = (await response.json()) as Record<string, string[]>;
    return { entries: body[field]!, link: response.headers.get('link') };
  }

  /** Follows `Link` from `path` to the last page and returns every page on the way. */
  async function walk(path: string, field: 'tags' | 'repositories'): Promise<Page[]> {
    const pages = [await fetchPage(path, field)];
    for (let link = pages[0]!.link; link !== null; link = pages[pages.length - 1]!.link) {
      const next = NEXT_LINK.exec(link);
      assert.ok(next, `not a next link: ${link}`);
      assert.ok(pages.length <= 100, 'the links never end');
      pages.push(await fetchPage(next[1]!, field));
    }
    return pages;
  }

  /** Asserts `pages` hold `expected` in order, `n` per page, with a Link on all but the last. */
  function assertPaged(pages: readonly Page[], expected: readonly string[], n: number): void {
    assert.deepEqual(
      pages.flatMap((page) => page.entries),
      expected,
    );
    assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / n)));
    for (const page of pages.slice(0, -1)) {
      assert.equal(page.entries.length, n);
      assert.match(page.link!, new RegExp(`[?&]n=${n}(&|>)`));
    }
    assert.equal(pages[pages.length - 1]!.link, null);
  }

  describe('GET /v2/', () => {
    it('answers 200 with Docker-Distribution-API-Version registry/2.0', async () => {
      const response = await client.request('GET', '/v2/');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });
  });

  describe('GET /v2/:name/tags/list', () => {
    const path = `/v2/${REPOSITORY}/tags/list`;

    it('lists every tag in byte order without a Link when n is absent', async () => {
      const page = await fetchPage(path, 'tags');
      assert.deepEqual(page.entries, byteOrder(TAGS));
      assert.equal(page.link, null);
    });

    for (const n of [1, 3, 4, 16, 50]) {
      it(`walks every tag in byte order through Link headers, ${n} at a time`, async () => {
        assertPaged(await walk(`${path}?n=${n}`, 'tags'), byteOrder(TAGS), n);
      });
    }

    it('continues after a last that is not itself a tag', async () => {
      const page = await fetchPage(`${path}?last=v1.`, 'tags');
      assert.deepEqual(
        page.entries,
        byteOrder(TAGS).filter((tag) => tag > 'v1.'),
      );
      assert.equal(page.entries[0], 'v1.0');
    });

    it('answers an empty list without a Link when last is past the end', async () => {
      for (const query of ['n=5&last=z_', 'n=5&last=~', 'last=zzz']) {
        assert.deepEqual(await fetchPage(`${path}?${query}`, 'tags'), { entries: [], link: null });
      }
    });

    it('answers an empty list without a Link when n is 0', async () => {
      assert.deepEqual(await fetchPage(`${path}?n=0`, 'tags'), { entries: [], link: null });
    });
  });

  describe('GET /v2/_catalog', () => {
    it('lists every repository in byte order without a Link when n is absent', async () => {
      const page = await fetchPage('/v2/_catalog', 'repositories');
      assert.deepEqual(page.entries, byteOrder(REPOSITORIES));
      assert.equal(page.link, null);
    });

    for (const n of [1, 2, 5, 13]) {
      it(`walks every repository in byte order through Link headers, ${n} at a time`, async () => {
        const pages = await walk(`/v2/_catalog?n=${n}`, 'repositories');
        assertPaged(pages, byteOrder(REPOSITORIES), n);
      });
    }

    it('continues after a nested repository named in last', async () => {
      const page = await fetchPage('/v2/_catalog?n=3&last=page%2Fa%2Fb', 'repositories');
      assert.deepEqual(page.entries, ['page/a0', 'page/a__b', 'page/a_b']);
      assert.match(page.link!, /last=page%2Fa_b>/);
    });

    it('answers an empty list without a Link when last is past the end', async () => {
      const page = await fetchPage('/v2/_catalog?n=2&last=pagez%2Fb', 'repositories');
      assert.deepEqual(page, { entries: [], link: null });
    });

    it('answers an empty list without a Link when n is 0', async () => {
      const page = await fetchPage('/v2/_catalog?n=0', 'repositories');
      assert.deepEqual(page, { entries: [], link: null });
    });
  });
});
