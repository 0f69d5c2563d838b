import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BlobUploadInvalidError, RangeNotSatisfiableError } from './errors';
import {
  formatUploadRange,
  parseUploadContentRange,
  resolveReadRange,
  type ByteRange,
  type ReadRange,
} from './ranges';

describe(parseUploadContentRange.name, () => {
  const readable: [string, ByteRange][] = [
    ['0-0', { start: 0, end: 0 }],
    ['0-1023', { start: 0, end: 1023 }],
    ['1024-2047', { start: 1024, end: 2047 }],
    ['bytes 5-9', { start: 5, end: 9 }],
    ['bytes=5-9', { start: 5, end: 9 }],
    [' 5-9 ', { start: 5, end: 9 }],
  ];
  for (const [header, range] of readable) {
    it(`reads "${header}" as an inclusive range`, () => {
      assert.deepEqual(parseUploadContentRange(header), range);
    });
  }

  const malformed = [
    '5',
    'a-b',
    '-3',
    '3-',
    '',
    '0-1/2',
    'bytes 0-1/2',
    '1-2-3',
    '0x1-0x2',
    '1234567890123456-1234567890123457',
  ];
  for (const header of malformed) {
    it(`refuses "${header}" with BLOB_UPLOAD_INVALID 400`, () => {
      assertUploadInvalid(() => parseUploadContentRange(header));
    });
  }

  it('refuses a range that ends before it starts with BLOB_UPLOAD_INVALID 400', () => {
    assertUploadInvalid(() => parseUploadContentRange('9-2'));
  });
});

describe(formatUploadRange.name, () => {
  it('reports the bytes received as an inclusive range', () => {
    assert.equal(formatUploadRange(10), '0-9');
  });

  it('reports an empty upload as 0-0, never with a negative end', () => {
    assert.equal(formatUploadRange(0), '0-0');
  });
});

describe(resolveReadRange.name, () => {
  const cases: [string, string | undefined, number, ReadRange][] = [
    ['no header', undefined, 10, { kind: 'whole' }],
    ['a first and last byte', 'bytes=0-4', 10, partial(0, 4)],
    ['a single byte', 'bytes=3-3', 10, partial(3, 3)],
    ['an open end', 'bytes=5-', 10, partial(5, 9)],
    ['an end past the content, clamped', 'bytes=5-100', 10, partial(5, 9)],
    ['a suffix', 'bytes=-3', 10, partial(7, 9)],
    ['a suffix longer than the content', 'bytes=-20', 10, partial(0, 9)],
    ['surrounding whitespace', ' bytes=0-1 ', 10, partial(0, 1)],
    ['a start at the end of the content', 'bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['a start past the content', 'bytes=11-12', 10, { kind: 'unsatisfiable' }],
    ['an end before the start', 'bytes=5-2', 10, { kind: 'unsatisfiable' }],
    ['an empty suffix', 'bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['a suffix of empty content', 'bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['an open range of empty content', 'bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['several ranges, served whole', 'bytes=0-1,3-4', 10, { kind: 'whole' }],
    ['another unit, served whole', 'items=0-1', 10, { kind: 'whole' }],
    ['no positions at all, served whole', 'bytes=-', 10, { kind: 'whole' }],
    ['garbage, served whole', 'bytes=a-b', 10, { kind: 'whole' }],
  ];
  for (const [label, header, size, expected] of cases) {
    it(`resolves ${label} (${header ?? 'absent'} of ${size} bytes)`, () => {
      assert.deepEqual(resolveReadRange(header, size), expected);
    });
  }
});

function partial(start: number, end: number): ReadRange {
  return { kind: 'partial', range: { start, end } };
}

function assertUploadInvalid(parse: () => unknown): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof BlobUploadInvalidError);
    assert.ok(!(error instanceof RangeNotSatisfiableError));
    assert.equal(error.code, 'BLOB_UPLOAD_INVALID');
    assert.equal(error.status, 400);
    return true;
  });
}
