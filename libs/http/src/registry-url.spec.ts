import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { rewriteRegistryUrl } from './registry-url';

const DIGEST = `sha256:${'0'.repeat(64)}`;
const UPLOAD_ID = '5f0c8a4e-1f5b-4a57-9a52-2b4f0f7a7c11';

/** Where the router should land: the name it decodes from one segment, and the endpoint. */
function routed(url: string): { name: string; endpoint: string } | undefined {
  const match = /^\/v2\/([^/]+)\/(.*)$/.exec(rewriteRegistryUrl(url).split('?')[0]!);
  return match ? { name: decodeURIComponent(match[1]!), endpoint: match[2]! } : undefined;
}

describe(rewriteRegistryUrl.name, () => {
  const endpoints: [string, string, string, string][] = [
    ['a one-component name', `/v2/alpine/manifests/latest`, 'alpine', 'manifests/latest'],
    [
      'a nested name',
      `/v2/library/team/alpine/manifests/v1`,
      'library/team/alpine',
      'manifests/v1',
    ],
    ['a blob', `/v2/a/b/blobs/${DIGEST}`, 'a/b', `blobs/${DIGEST}`],
    ['an upload start', '/v2/a/b/blobs/uploads/', 'a/b', 'blobs/uploads/'],
    ['an upload start without the slash', '/v2/a/b/blobs/uploads', 'a/b', 'blobs/uploads'],
    [
      'an upload session',
      `/v2/a/b/blobs/uploads/${UPLOAD_ID}`,
      'a/b',
      `blobs/uploads/${UPLOAD_ID}`,
    ],
    ['a tag list', '/v2/a/b/tags/list', 'a/b', 'tags/list'],
    ['a tag list with a trailing slash', '/v2/a/b/tags/list/', 'a/b', 'tags/list/'],
    ['referrers', `/v2/a/b/referrers/${DIGEST}`, 'a/b', `referrers/${DIGEST}`],
    ['a manifest by digest', `/v2/a/manifests/${DIGEST}`, 'a', `manifests/${DIGEST}`],
  ];
  for (const [label, url, name, endpoint] of endpoints) {
    it(`routes ${label} to its name and endpoint`, () => {
      assert.deepEqual(routed(url), { name, endpoint });
    });
  }

  const namesLikeEndpoints: [string, string, string, string][] = [
    [
      'a name ending in blobs, reading a manifest',
      '/v2/a/blobs/manifests/v1',
      'a/blobs',
      'manifests/v1',
    ],
    [
      'a name ending in blobs, reading a blob',
      `/v2/a/blobs/blobs/${DIGEST}`,
      'a/blobs',
      `blobs/${DIGEST}`,
    ],
    [
      'a name ending in blobs, starting an upload',
      '/v2/a/blobs/blobs/uploads/',
      'a/blobs',
      'blobs/uploads/',
    ],
    ['a name that is just blobs', '/v2/blobs/blobs/uploads/', 'blobs', 'blobs/uploads/'],
    [
      'a name ending in blobs/uploads, continuing an upload',
      `/v2/a/blobs/uploads/blobs/uploads/${UPLOAD_ID}`,
      'a/blobs/uploads',
      `blobs/uploads/${UPLOAD_ID}`,
    ],
    ['a name ending in uploads', `/v2/uploads/blobs/${DIGEST}`, 'uploads', `blobs/${DIGEST}`],
    [
      'a name ending in manifests',
      '/v2/a/manifests/manifests/latest',
      'a/manifests',
      'manifests/latest',
    ],
    [
      'a name ending in manifests, listing tags',
      '/v2/a/manifests/tags/list',
      'a/manifests',
      'tags/list',
    ],
    ['a name ending in tags', '/v2/a/tags/tags/list', 'a/tags', 'tags/list'],
    ['a name ending in tags/list', '/v2/a/tags/list/tags/list', 'a/tags/list', 'tags/list'],
    [
      'a name ending in tags, reading a manifest',
      '/v2/a/tags/manifests/list',
      'a/tags',
      'manifests/list',
    ],
    [
      'a name ending in referrers',
      `/v2/referrers/referrers/${DIGEST}`,
      'referrers',
      `referrers/${DIGEST}`,
    ],
    [
      'a name with every endpoint word',
      '/v2/blobs/manifests/uploads/tags/tags/list',
      'blobs/manifests/uploads/tags',
      'tags/list',
    ],
  ];
  for (const [label, url, name, endpoint] of namesLikeEndpoints) {
    it(`routes ${label} by the longest name that leaves an endpoint`, () => {
      assert.deepEqual(routed(url), { name, endpoint });
    });
  }

  it('encodes the name into one path segment', () => {
    assert.equal(rewriteRegistryUrl('/v2/a/b/c/tags/list'), '/v2/a%2Fb%2Fc/tags/list');
  });

  it('keeps the query string as it was', () => {
    const url = `/v2/a/b/blobs/uploads/?mount=${DIGEST}&from=c/d`;
    assert.equal(rewriteRegistryUrl(url), `/v2/a%2Fb/blobs/uploads/?mount=${DIGEST}&from=c/d`);
  });

  it('leaves a question mark inside the query alone', () => {
    assert.equal(
      rewriteRegistryUrl('/v2/a/b/tags/list?n=1&last=a?b'),
      '/v2/a%2Fb/tags/list?n=1&last=a?b',
    );
  });

  it('hands an invalid name to the router intact, for the name check to refuse', () => {
    assert.deepEqual(routed('/v2/a//B/manifests/latest'), {
      name: 'a//B',
      endpoint: 'manifests/latest',
    });
    assert.deepEqual(routed('/v2//a/manifests/latest'), {
      name: '/a',
      endpoint: 'manifests/latest',
    });
    assert.deepEqual(routed('/v2/a/../b/manifests/latest'), {
      name: 'a/../b',
      endpoint: 'manifests/latest',
    });
  });

  const untouched: [string, string][] = [
    ['the version check', '/v2/'],
    ['the version check without a slash', '/v2'],
    ['the catalog', '/v2/_catalog?n=10'],
    ['a path outside the API', '/healthz'],
    ['a manifest path without a reference', '/v2/a/manifests/'],
    ['an unknown endpoint', '/v2/a/b/unknown/thing'],
    ['a path without a name', '/v2/manifests/latest'],
  ];
  for (const [label, url] of untouched) {
    it(`leaves ${label} unchanged`, () => {
      assert.equal(rewriteRegistryUrl(url), url);
    });
  }
});
