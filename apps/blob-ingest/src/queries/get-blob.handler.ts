import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { RegistryResponse } from '@tidemark/http';
import {
  BlobUnknownError,
  parseDigest,
  RangeNotSatisfiableError,
  resolveReadRange,
  type Digest,
} from '@tidemark/oci';
import { BlobRepository, ManifestRepository } from '@tidemark/state';
import { Inject } from '@nestjs/common';
import { STORAGE_DRIVER, type StorageDriver } from '@tidemark/storage';
import { BlobLocator } from '../blobs/blob-locator';
import { GetBlobQuery } from './get-blob.query';

/**
 * Serves a blob linked into the repository, whole or one byte range (RFC 9110 section 14;
 * field case F09). Whether the blob is there is Postgres's answer, never storage's. A
 * manifest of the repository is served through this endpoint too, as clients that fetch
 * manifests as blobs expect.
 */
@QueryHandler(GetBlobQuery)
export class GetBlobHandler implements IQueryHandler<GetBlobQuery, RegistryResponse> {
  constructor(
    private readonly blobs: BlobRepository,
    private readonly manifests: ManifestRepository,
    private readonly locator: BlobLocator,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
  ) {}

  async execute(query: GetBlobQuery): Promise<RegistryResponse> {
    const digest = parseDigest(query.digest);
    const size = await this.blobs.findLinked(query.repository, digest);
    if (size === undefined) {
      return this.serveManifestAsBlob(query, digest);
    }
    const headers = contentHeaders(digest);
    const range = resolveReadRange(query.isHead ? undefined : query.range, size);
    if (range.kind === 'unsatisfiable') {
      const error = new RangeNotSatisfiableError({ range: query.range, size });
      error.headers['Content-Range'] = `bytes */${size}`;
      throw error;
    }
    const path = await this.locator.locate(digest);
    if (range.kind === 'whole') {
      const body = query.isHead ? undefined : await this.storage.read(path);
      return { status: 200, headers: { ...headers, 'Content-Length': size }, ...(body && { body }) };
    }
    const { start, end } = range.range;
    return {
      status: 206,
      headers: { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` },
      body: await this.storage.read(path, range.range),
    };
  }

  private async serveManifestAsBlob(query: GetBlobQuery, digest: Digest): Promise<RegistryResponse> {
    const manifest = await this.manifests.findByDigest(query.repository, digest);
    if (manifest === undefined) {
      throw new BlobUnknownError({ repository: query.repository, digest });
    }
    const headers = { ...contentHeaders(digest), 'Content-Length': manifest.size };
    return { status: 200, headers, ...(query.isHead ? {} : { body: manifest.content }) };
  }
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
