import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ManifestInvalidError } from '../errors';
import { invalid, isObject, parseAnnotations, parseDescriptor } from './descriptor';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function aDescriptor(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: DIGEST,
    size: 32,
    ...fields,
  };
}

describe(isObject.name, () => {
  const cases: [string, unknown, boolean][] = [
    ['a plain object', {}, true],
    ['an array', [], false],
    ['null', null, false],
    ['a string', 'descriptor', false],
    ['a number', 1, false],
    ['undefined', undefined, false],
  ];
  for (const [label, value, expected] of cases) {
    it(`answers ${expected} for ${label}`, () => {
      assert.equal(isObject(value), expected);
    });
  }
});

describe(parseDescriptor.name, () => {
  it('returns the media type, digest and size of a minimal descriptor', () => {
    assert.deepEqual(parseDescriptor(aDescriptor(), 'config'), {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: DIGEST,
      size: 32,
    });
  });

  it('keeps artifactType, annotations and urls when present', () => {
    const fields = {
      artifactType: 'application/vnd.example.sbom',
      annotations: { 'org.opencontainers.image.title': 'layer.tar' },
      urls: ['https://example.com/layer.tar'],
    };
    assert.deepEqual(parseDescriptor(aDescriptor(fields), 'layers[0]'), aDescriptor(fields));
  });

  it('drops fields the registry does not use', () => {
    assert.deepEqual(
      parseDescriptor(aDescriptor({ platform: { os: 'linux' } }), 'x'),
      aDescriptor(),
    );
  });

  it('accepts a zero size', () => {
    assert.equal(parseDescriptor(aDescriptor({ size: 0 }), 'config').size, 0);
  });

  const refusals: [string, unknown, string][] = [
    ['a descriptor that is not an object', ['not', 'an', 'object'], 'layers[2]'],
    ['a descriptor that is null', null, 'layers[2]'],
    ['a missing media type', aDescriptor({ mediaType: undefined }), 'layers[2].mediaType'],
    ['a malformed media type', aDescriptor({ mediaType: 'tarball' }), 'layers[2].mediaType'],
    ['a missing digest', aDescriptor({ digest: undefined }), 'layers[2].digest'],
    ['a malformed digest', aDescriptor({ digest: 'sha256:abc' }), 'layers[2].digest'],
    ['an uppercase digest', aDescriptor({ digest: DIGEST.toUpperCase() }), 'layers[2].digest'],
    ['a missing size', aDescriptor({ size: undefined }), 'layers[2].size'],
    ['a negative size', aDescriptor({ size: -1 }), 'layers[2].size'],
    ['a fractional size', aDescriptor({ size: 1.5 }), 'layers[2].size'],
    ['a size given as a string', aDescriptor({ size: '32' }), 'layers[2].size'],
    ['a size beyond safe integers', aDescriptor({ size: 2 ** 53 }), 'layers[2].size'],
    ['a malformed artifactType', aDescriptor({ artifactType: 'sbom' }), 'layers[2].artifactType'],
    [
      'annotations with a non-string value',
      aDescriptor({ annotations: { a: 1 } }),
      'layers[2].annotations',
    ],
    ['annotations that are null', aDescriptor({ annotations: null }), 'layers[2].annotations'],
    ['urls that are not an array', aDescriptor({ urls: 'https://example.com' }), 'layers[2].urls'],
    ['urls that are not strings', aDescriptor({ urls: [1] }), 'layers[2].urls'],
  ];
  for (const [label, value, field] of refusals) {
    it(`refuses ${label} with MANIFEST_INVALID naming ${field}`, () => {
      assertManifestInvalid(() => parseDescriptor(value, 'layers[2]'), field);
    });
  }
});

describe(parseAnnotations.name, () => {
  it('returns a map of strings to strings', () => {
    assert.deepEqual(parseAnnotations({ a: 'b' }, '$'), { a: 'b' });
  });

  it('refuses an array, naming the annotations of the path', () => {
    assertManifestInvalid(() => parseAnnotations(['a'], 'subject'), 'subject.annotations');
  });
});

describe(invalid.name, () => {
  it('builds MANIFEST_INVALID with the field and reason as detail', () => {
    const error = invalid('config.size', 'too small');
    assert.ok(error instanceof ManifestInvalidError);
    assert.deepEqual(error.detail, { field: 'config.size', reason: 'too small' });
  });
});

function assertManifestInvalid(parse: () => unknown, field: string): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof ManifestInvalidError);
    assert.equal(error.status, 400);
    assert.equal((error.detail as { field?: string }).field, field);
    return true;
  });
}
