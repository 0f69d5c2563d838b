import { createHash } from 'node:crypto';
import { expectStatus, OCTET_STREAM_HEADERS, withQuery, type OciClient } from './oci-client';

/**
 * Uploads `chunks` as a client pushing in chunks does: POST, one PATCH per chunk with its
 * Content-Range, then an empty closing PUT naming the digest (`algorithm`, sha256 unless
 * said). Request n goes to `instances[n % instances.length]`, so with two instances every
 * step lands on the other one than the step before. Throws unless the POST and every PATCH
 * are accepted with the Range the spec requires; returns the PUT's response.
 */
export async function pushInChunks(
  instances: readonly OciClient[],
  repository: string,
  chunks: readonly Buffer[],
  algorithm: 'sha256' | 'sha512' = 'sha256',
): Promise<Response> {
  const on = (step: number): OciClient => instances[step % instances.length]!;
  const started = await on(0).request('POST', `/v2/${repository}/blobs/uploads/`);
  expectStatus(started, 202);
  let location = started.headers.get('location')!;
  let offset = 0;
  for (const [index, chunk] of chunks.entries()) {
    const end = offset + chunk.length - 1;
    const written = await on(index + 1).request('PATCH', location, {
      headers: { ...OCTET_STREAM_HEADERS, 'Content-Range': `${offset}-${end}` },
      body: chunk,
    });
    expectStatus(written, 202);
    if (written.headers.get('range') !== `0-${end}`) {
      throw new Error(`PATCH ${offset}-${end} answered Range ${written.headers.get('range')}`);
    }
    location = written.headers.get('location')!;
    offset += chunk.length;
  }
  const hash = createHash(algorithm);
  chunks.forEach((chunk) => hash.update(chunk));
  const digest = `${algorithm}:${hash.digest('hex')}`;
  return on(chunks.length + 1).request('PUT', withQuery(location, `digest=${digest}`));
}
