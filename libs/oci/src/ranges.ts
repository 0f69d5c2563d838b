import { BlobUploadInvalidError } from './errors';

/** An inclusive byte range, as both `Content-Range` on uploads and `Range` on reads use. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const UPLOAD_RANGE = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})$/;

/**
 * Parses the `Content-Range` of an upload chunk: `<start>-<end>`, inclusive (DS v1.1,
 * "Pushing a blob in chunks"). A `bytes ` prefix is tolerated. Throws BLOB_UPLOAD_INVALID
 * for anything else, including `end < start`.
 */
export function parseUploadContentRange(header: string): ByteRange {
  const match = UPLOAD_RANGE.exec(header.trim());
  if (!match) {
    throw new BlobUploadInvalidError({ contentRange: header, reason: 'malformed Content-Range' });
  }
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) {
    throw new BlobUploadInvalidError({ contentRange: header, reason: 'range end before start' });
  }
  return { start, end };
}

/** Formats the `Range` header of an upload status: bytes received so far, inclusive. */
export function formatUploadRange(size: number): string {
  // DS v1.1 does not define the empty case; `0-0` is what clients already expect, and a
  // negative end (`0--1`) breaks parsers (field case F03).
  return `0-${Math.max(size - 1, 0)}`;
}

/** The outcome of a read's `Range` header against content of a known size. */
export type ReadRange =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' };

const READ_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Resolves a `Range` request header (RFC 9110 section 14) for content of `size` bytes. Only
 * a single range is served; multiple or malformed ranges are ignored, which RFC 9110 allows.
 */
export function resolveReadRange(header: string | undefined, size: number): ReadRange {
  const match = header === undefined ? null : READ_RANGE.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    return { kind: 'whole' };
  }
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0
      ? { kind: 'unsatisfiable' }
      : { kind: 'partial', range: { start: Math.max(size - suffix, 0), end: size - 1 } };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) {
    // RFC 9110 would let a server ignore this; the conformance suite expects 416.
    return { kind: 'unsatisfiable' };
  }
  return start >= size ? { kind: 'unsatisfiable' } : { kind: 'partial', range: { start, end } };
}
