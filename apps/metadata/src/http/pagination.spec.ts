import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { UnsupportedError } from '@tidemark/oci';
import { nextLink, parsePage, type Page } from './pagination';

describe(parsePage.name, () => {
  const pages: [string, string | undefined, string | undefined, Page][] = [
    ['asks for everything when neither is given', undefined, undefined, {}],
    ['reads n as the limit', '10', undefined, { limit: 10 }],
    ['accepts a limit of zero', '0', undefined, { limit: 0 }],
    ['accepts leading zeros', '007', undefined, { limit: 7 }],
    ['accepts a limit of nine digits', '999999999', undefined, { limit: 999999999 }],
    ['reads last as where to continue after', undefined, 'v1.0', { last: 'v1.0' }],
    ['reads both together', '2', 'b', { limit: 2, last: 'b' }],
    ['ignores an empty last', '2', '', { limit: 2 }],
  ];
  for (const [behaviour, n, last, page] of pages) {
    it(behaviour, () => {
      assert.deepEqual(parsePage(n, last), page);
    });
  }

  const malformed: [string, string | string[] | undefined, string | string[] | undefined][] = [
    ...['', '-1', '1.5', 'abc', '1e3', ' 1', '0x10', '1000000000', '+1'].map(
      (n): [string, string, undefined] => [`n="${n}"`, n, undefined],
    ),
    ['a repeated n', ['1', '2'], undefined],
    ['a repeated last', '1', ['a', 'b']],
  ];
  for (const [label, n, last] of malformed) {
    it(`refuses ${label} with UNSUPPORTED 400`, () => {
      assert.throws(
        () => parsePage(n, last),
        (error: unknown) => {
          assert.ok(error instanceof UnsupportedError);
          assert.equal(error.code, 'UNSUPPORTED');
          assert.equal(error.status, 400);
          return true;
        },
      );
    });
  }
});

describe(nextLink.name, () => {
  it('points at the next page with the limit and the last entry shown', () => {
    assert.equal(
      nextLink('/v2/a/b/tags/list', 2, 'v1'),
      '</v2/a/b/tags/list?n=2&last=v1>; rel="next"',
    );
  });

  it('percent-encodes the last entry', () => {
    assert.equal(
      nextLink('/v2/_catalog', 1, 'team/app&x'),
      '</v2/_catalog?n=1&last=team%2Fapp%26x>; rel="next"',
    );
  });
});
