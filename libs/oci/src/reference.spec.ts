import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isRepositoryName, isTag, MAX_NAME_LENGTH, parseManifestReference } from './reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe(isRepositoryName.name, () => {
  const accepted: [string, string][] = [
    ['a single component', 'alpine'],
    ['several components', 'library/team/alpine'],
    ['digits', '0/1'],
    ['a period between letters', 'my.app'],
    ['one underscore', 'my_app'],
    ['two underscores', 'my__app'],
    ['dashes, however many', 'my---app'],
    ['components named like API endpoints', 'blobs/manifests/uploads/tags/list'],
    [`a name of ${MAX_NAME_LENGTH} characters`, 'a'.repeat(MAX_NAME_LENGTH)],
  ];
  for (const [label, name] of accepted) {
    it(`accepts ${label}`, () => {
      assert.equal(isRepositoryName(name), true);
    });
  }

  const refused: [string, string][] = [
    ['uppercase letters', 'Alpine'],
    ['the empty string', ''],
    ['a leading slash', '/alpine'],
    ['a trailing slash', 'alpine/'],
    ['an empty component', 'a//b'],
    ['a parent-directory component', 'a/../b'],
    ['two periods in a row', 'a..b'],
    ['three underscores', 'a___b'],
    ['a leading separator', '-alpine'],
    ['a trailing separator', 'alpine-'],
    ['a colon', 'alpine:latest'],
    ['whitespace', 'my app'],
    [`a name of ${MAX_NAME_LENGTH + 1} characters`, 'a'.repeat(MAX_NAME_LENGTH + 1)],
    ['a long name whose components are each valid', 'ab/'.repeat(90) + 'ab'],
  ];
  for (const [label, name] of refused) {
    it(`refuses ${label}`, () => {
      assert.equal(isRepositoryName(name), false);
    });
  }
});

describe(isTag.name, () => {
  const accepted: [string, string][] = [
    ['a word', 'latest'],
    ['periods and dashes after the first character', 'v1.2.3-rc.1'],
    ['a leading underscore', '_private'],
    ['uppercase letters', 'Release_2'],
    ['a tag of 128 characters', 'a'.repeat(128)],
  ];
  for (const [label, tag] of accepted) {
    it(`accepts ${label}`, () => {
      assert.equal(isTag(tag), true);
    });
  }

  const refused: [string, string][] = [
    ['the empty string', ''],
    ['a tag of 129 characters', 'a'.repeat(129)],
    ['a leading period', '.hidden'],
    ['a leading dash', '-rc'],
    ['a colon', 'v1:2'],
    ['a slash', 'v1/2'],
    ['a plus sign', 'v1+build'],
  ];
  for (const [label, tag] of refused) {
    it(`refuses ${label}`, () => {
      assert.equal(isTag(tag), false);
    });
  }
});

describe(parseManifestReference.name, () => {
  it('reads a valid tag as a tag', () => {
    assert.deepEqual(parseManifestReference('v1.0'), { kind: 'tag', tag: 'v1.0' });
  });

  it('reads a valid digest as a digest', () => {
    assert.deepEqual(parseManifestReference(DIGEST), { kind: 'digest', digest: DIGEST });
  });

  const unreadable: [string, string][] = [
    ['a malformed digest', 'sha256:abc'],
    ['a digest of an unsupported algorithm', `md5:${'a'.repeat(32)}`],
    ['an invalid tag', '.latest'],
    ['the empty string', ''],
  ];
  for (const [label, reference] of unreadable) {
    it(`returns undefined for ${label}`, () => {
      assert.equal(parseManifestReference(reference), undefined);
    });
  }
});
