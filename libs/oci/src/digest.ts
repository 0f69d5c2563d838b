import { createHash } from 'node:crypto';
import { DigestInvalidError } from './errors';

/** The digest algorithms Tidemark verifies content with (OCI image spec, "Digests"). */
export type DigestAlgorithm = 'sha256' | 'sha512';

/** A validated digest string, `<algorithm>:<lowercase hex>`. */
export type Digest = string & { readonly __brand: 'Digest' };

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

// The general grammar from the image spec; registered algorithms are checked after it.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Returns true when `value` is a well-formed digest of a supported algorithm. */
export function isDigest(value: string): value is Digest {
  if (!DIGEST_GRAMMAR.test(value)) {
    return false;
  }
  const [algorithm, encoded] = value.split(':') as [string, string];
  const length = HEX_LENGTH[algorithm as DigestAlgorithm];
  return length !== undefined && encoded.length === length && /^[a-f0-9]+$/.test(encoded);
}

/** Returns `value` as a Digest, or throws DIGEST_INVALID naming what was wrong. */
export function parseDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw new DigestInvalidError({ digest: value, reason: 'malformed or unsupported digest' });
  }
  return value;
}

/** Returns the algorithm part of a digest. */
export function algorithmOf(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/** Returns the hex part of a digest. */
export function encodedOf(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Computes the digest of in-memory content (manifests; never whole blobs). */
export function digestOf(content: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}` as Digest;
}
