import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { acceptsMediaType } from './accepts-media-type';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describe(acceptsMediaType.name, () => {
  const admitted: [string, string | undefined][] = [
    ['no Accept header', undefined],
    ['an empty Accept header', ''],
    ['an Accept header of whitespace', '   '],
    ['an Accept header of empty entries', ' , ,'],
    ['the stored type itself', OCI_MANIFEST],
    ['the stored type among others', `${DOCKER_MANIFEST}, ${OCI_INDEX}, ${OCI_MANIFEST}`],
    ['the stored type with a quality parameter', `${OCI_MANIFEST};q=0.5`],
    ['the stored type in other case', OCI_MANIFEST.toUpperCase()],
    ['any type', '*/*'],
    ['any application type', 'application/*'],
    ['generic JSON, as older clients send', 'application/json'],
    ['a wildcard after other types', `${DOCKER_MANIFEST}, */*;q=0.1`],
  ];
  for (const [label, accept] of admitted) {
    it(`admits the stored type for ${label}`, () => {
      assert.equal(acceptsMediaType(accept, OCI_MANIFEST), true);
    });
  }

  const refused: [string, string][] = [
    ['only another manifest type', DOCKER_MANIFEST],
    ['only an index type, for an image', OCI_INDEX],
    ['a type that merely contains the stored type', `${OCI_MANIFEST}-extra`],
    ['an unrelated wildcard', 'text/*'],
  ];
  for (const [label, accept] of refused) {
    it(`refuses the stored type for ${label}`, () => {
      assert.equal(acceptsMediaType(accept, OCI_MANIFEST), false);
    });
  }

  it('matches a stored type written in other case', () => {
    assert.equal(acceptsMediaType(OCI_INDEX, OCI_INDEX.toUpperCase()), true);
  });
});
