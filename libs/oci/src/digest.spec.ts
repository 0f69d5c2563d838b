import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { algorithmOf, digestOf, encodedOf, isDigest, parseDigest, type Digest } from './digest';
import { DigestInvalidError } from './errors';

const SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA512_HEX =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce' +
  '47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

describe(isDigest.name, () => {
  const accepted: [string, string][] = [
    ['a sha256 digest with 64 lowercase hex characters', `sha256:${SHA256_HEX}`],
    ['a sha512 digest with 128 lowercase hex characters', `sha512:${SHA512_HEX}`],
  ];
  for (const [label, value] of accepted) {
    it(`accepts ${label}`, () => {
      assert.equal(isDigest(value), true);
    });
  }

  const refused: [string, string][] = [
    ['a sha256 digest one character short', `sha256:${SHA256_HEX.slice(1)}`],
    ['a sha256 digest one character long', `sha256:${SHA256_HEX}0`],
    ['a sha256 digest with 128 hex characters', `sha256:${SHA512_HEX}`],
    ['a sha512 digest with 64 hex characters', `sha512:${SHA256_HEX}`],
    ['uppercase hex', `sha256:${SHA256_HEX.toUpperCase()}`],
    ['an uppercase algorithm', `SHA256:${SHA256_HEX}`],
    ['an algorithm Tidemark does not verify', `sha384:${SHA256_HEX}`],
    ['an unknown algorithm', `md5:${SHA256_HEX.slice(0, 32)}`],
    ['a digest without a colon', `sha256${SHA256_HEX}`],
    ['a digest without an algorithm', `:${SHA256_HEX}`],
    ['a digest without an encoded part', 'sha256:'],
    ['a digest with two colons', `sha256:${SHA256_HEX.slice(0, 32)}:${SHA256_HEX.slice(32)}`],
    ['non-hex characters of the right length', `sha256:${'g'.repeat(64)}`],
    ['surrounding whitespace', ` sha256:${SHA256_HEX} `],
    ['an algorithm named like an object property', `constructor:${SHA256_HEX}`],
    ['the empty string', ''],
  ];
  for (const [label, value] of refused) {
    it(`refuses ${label}`, () => {
      assert.equal(isDigest(value), false);
    });
  }
});

describe(parseDigest.name, () => {
  it('returns a well-formed digest unchanged', () => {
    assert.equal(parseDigest(`sha256:${SHA256_HEX}`), `sha256:${SHA256_HEX}`);
  });

  it('throws DIGEST_INVALID naming the malformed digest', () => {
    assert.throws(
      () => parseDigest('sha256:abc'),
      (error: unknown) => {
        assert.ok(error instanceof DigestInvalidError);
        assert.equal(error.code, 'DIGEST_INVALID');
        assert.equal(error.status, 400);
        assert.equal((error.detail as { digest: string }).digest, 'sha256:abc');
        return true;
      },
    );
  });
});

describe(algorithmOf.name, () => {
  it('returns the part before the colon', () => {
    assert.equal(algorithmOf(`sha512:${SHA512_HEX}` as Digest), 'sha512');
  });
});

describe(encodedOf.name, () => {
  it('returns the part after the colon', () => {
    assert.equal(encodedOf(`sha256:${SHA256_HEX}` as Digest), SHA256_HEX);
  });
});

describe(digestOf.name, () => {
  it('computes sha256 by default', () => {
    assert.equal(digestOf(new Uint8Array()), `sha256:${SHA256_HEX}`);
  });

  it('computes the algorithm it is asked for', () => {
    assert.equal(digestOf(new Uint8Array(), 'sha512'), `sha512:${SHA512_HEX}`);
  });

  it('returns a digest that isDigest accepts', () => {
    assert.equal(isDigest(digestOf(Buffer.from('hello'))), true);
  });
});
