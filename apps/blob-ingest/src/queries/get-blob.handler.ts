import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import {
  BlobUnknownError,
  parseDigest,
  RangeNotSatisfiableError,
  resolveReadRange,
  type ByteRange,
  type Digest,
} from '@tidemark/oci';
import { BlobRepository, ManifestRepository } from '@tidemark/state';
import { Inject } from '@nestjs/common';
import { CONFIG, type TidemarkConfig } from '@tidemark/config';
import { STORAGE_DRIVER, type StorageDriver } from '@tidemark/storage';
import { BlobLocator } from '../blobs/blob-locator';
import type { Readable } from 'node:stream';
import { GetBlobQuery } from './get-blob.query';

/**
 * Serves a blob linked into the repository, whole or one byte range (RFC 9110 section 14;
 * field case F09). Whether the blob is there is Postgres's answer, never storage's. A
 * manifest of the repository is served through this endpoint too, as clients that fetch
 * manifests as blobs expect. With `storage.s3.redirect`, a GET of a blob is answered with a
 * 307 to a presigned URL of the store instead of the bytes (HEAD and manifests never are).
 */
@QueryHandler(GetBlobQuery)
export class GetBlobHandler implements IQueryHandler<GetBlobQuery, RegistryResponse> {
  constructor(
    private readonly blobs: BlobRepository,
    private readonly manifests: ManifestRepository,
    private readonly locator: BlobLocator,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
    @Inject(CONFIG) private readonly config: TidemarkConfig,
  ) {}

  async execute(query: GetBlobQuery): Promise<RegistryResponse> {
    const digest = parseDigest(query.digest);
    const size = await this.blobs.findLinked(query.repository, digest);
    if (size === undefined) {
      return this.serveManifestAsBlob(query, digest);
    }

    const range = readRange(query, size);

    // Storage is asked only for bytes Postgres says are committed; the locator waits out a
    // store that does not show them yet, to a HEAD's stat or a GET's read.
    if (query.isHead) {
      await this.locator.locate(digest);
      return contentResponse(digest, size, range, undefined);
    }
    if (this.config.storage.s3.redirect && this.storage.presignRead !== undefined) {
      // The store answers a Range header the client sends along; it was checked above.
      const path = await this.locator.locate(digest);
      const expirySeconds = this.config.storage.s3.presignExpirySeconds;
      return redirectResponse(digest, await this.storage.presignRead(path, expirySeconds));
    }
    return contentResponse(digest, size, range, await this.locator.open(digest, size, range));
  }

  /** Serves manifest bytes as the blob endpoint serves any content, ranges included. */
  private async serveManifestAsBlob(
    query: GetBlobQuery,
    digest: Digest,
  ): Promise<RegistryResponse> {
    const manifest = await this.manifests.findByDigest(query.repository, digest);
    if (manifest === undefined) {
      throw new BlobUnknownError({ repository: query.repository, digest });
    }

    const range = readRange(query, manifest.size);

    const body =
      range === undefined
        ? manifest.content
        : manifest.content.subarray(range.start, range.end + 1);
    return contentResponse(digest, manifest.size, range, query.isHead ? undefined : body);
  }
}

/**
 * Returns the byte range a GET asks for, or undefined for the whole content (no Range, a
 * Range this registry ignores, or a HEAD, for which RFC 9110 defines no ranges). Throws 416,
 * with a Content-Range naming the size, when the range cannot be satisfied.
 */
function readRange(query: GetBlobQuery, size: number): ByteRange | undefined {
  const range = resolveReadRange(query.isHead ? undefined : query.range, size);
  if (range.kind === 'unsatisfiable') {
    const error = new RangeNotSatisfiableError({ range: query.range, size });
    error.headers['Content-Range'] = `bytes */${size}`;
    throw error;
  }
  return range.kind === 'partial' ? range.range : undefined;
}

/** The 307 that sends a client to `location`, a presigned URL, for the bytes of `digest`. */
function redirectResponse(digest: Digest, location: string): RegistryResponse {
  return {
    status: 307,
    headers: { Location: location, 'Docker-Content-Digest': digest, 'Content-Length': '0' },
  };
}

/** The 200 for all `size` bytes of `digest`, or the 206 for `range` of them. */
function contentResponse(
  digest: Digest,
  size: number,
  range: ByteRange | undefined,
  body: Buffer | Readable | undefined,
): RegistryResponse {
  const headers = contentHeaders(digest);
  const payload = body === undefined ? {} : { body };
  if (range === undefined) {
    return { status: 200, headers: { ...headers, 'Content-Length': size }, ...payload };
  }
  const { start, end } = range;
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Length': end - start + 1,
      'Content-Range': `bytes ${start}-${end}/${size}`,
    },
    ...payload,
  };
}

function contentHeaders(digest: Digest): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
}
