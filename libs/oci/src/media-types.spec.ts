import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  baseMediaType,
  IMAGE_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  isMediaType,
  MANIFEST_MEDIA_TYPES,
  MediaType,
} from './media-types';

describe(isMediaType.name, () => {
  const accepted = [
    MediaType.OciManifest,
    'application/vnd.example.thing+json',
    'text/plain',
    'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    `a/${'b'.repeat(127)}`,
  ];
  for (const value of accepted) {
    it(`accepts ${value.length > 60 ? `a subtype of 127 characters` : value}`, () => {
      assert.equal(isMediaType(value), true);
    });
  }

  const refused: [string, string][] = [
    ['the empty string', ''],
    ['a type without a subtype', 'application'],
    ['an empty subtype', 'application/'],
    ['an empty type', '/json'],
    ['parameters', 'application/json; charset=utf-8'],
    ['whitespace', 'application/ json'],
    ['two slashes', 'application/vnd/json'],
    ['a subtype of 128 characters', `a/${'b'.repeat(128)}`],
    ['a leading symbol', 'application/+json'],
  ];
  for (const [label, value] of refused) {
    it(`refuses ${label}`, () => {
      assert.equal(isMediaType(value), false);
    });
  }
});

describe(baseMediaType.name, () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['returns a bare media type unchanged', 'application/json', 'application/json'],
    ['strips parameters', 'application/json; charset=utf-8', 'application/json'],
    ['strips surrounding whitespace', '  text/plain  ;q=1', 'text/plain'],
    ['lowercases', 'Application/VND.OCI.Image.Manifest.v1+JSON', MediaType.OciManifest],
    ['returns undefined for an absent header', undefined, undefined],
    ['returns undefined for an empty header', '', undefined],
    ['returns undefined for parameters alone', ' ; charset=utf-8', undefined],
  ];
  for (const [behaviour, header, expected] of cases) {
    it(behaviour, () => {
      assert.equal(baseMediaType(header), expected);
    });
  }
});

describe('manifest media type sets', () => {
  it('counts OCI and Docker indexes as indexes', () => {
    assert.deepEqual(
      [...INDEX_MEDIA_TYPES].sort(),
      [MediaType.DockerManifestList, MediaType.OciIndex].sort(),
    );
  });

  it('counts OCI and Docker schema 2 image manifests as images', () => {
    assert.deepEqual(
      [...IMAGE_MEDIA_TYPES].sort(),
      [MediaType.DockerManifest, MediaType.OciManifest].sort(),
    );
  });

  it('accepts exactly images and indexes as pushable manifests', () => {
    assert.deepEqual(
      [...MANIFEST_MEDIA_TYPES].sort(),
      [...IMAGE_MEDIA_TYPES, ...INDEX_MEDIA_TYPES].sort(),
    );
  });

  it('does not accept schema 1 manifests', () => {
    assert.equal(MANIFEST_MEDIA_TYPES.has(MediaType.DockerSchema1), false);
    assert.equal(MANIFEST_MEDIA_TYPES.has(MediaType.DockerSchema1Signed), false);
  });
});
