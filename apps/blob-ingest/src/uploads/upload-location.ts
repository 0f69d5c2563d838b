import { formatUploadRange } from '@tidemark/oci';

/**
 * The headers of a response about an open upload session. `Location` is relative, so it
 * keeps whatever scheme and host the client used, also behind a TLS-terminating proxy
 * (field case F01; RFC 7231 section 7.1.2).
 */
export function uploadHeaders(
  repository: string,
  uploadId: string,
  size: number,
): Record<string, string> {
  return {
    Location: `/v2/${repository}/blobs/uploads/${uploadId}`,
    Range: formatUploadRange(size),
    'Docker-Upload-UUID': uploadId,
    'Content-Length': '0',
  };
}

/** The headers of a response that names a committed blob. */
export function blobHeaders(repository: string, digest: string): Record<string, string> {
  return {
    Location: `/v2/${repository}/blobs/${digest}`,
    'Docker-Content-Digest': digest,
    'Content-Length': '0',
  };
}
