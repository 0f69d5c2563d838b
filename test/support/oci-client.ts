import { createHash } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** The headers of a blob upload's PATCH or PUT. */
export const OCTET_STREAM_HEADERS = { 'Content-Type': 'application/octet-stream' } as const;

/** Returns the sha256 digest of `content`, as the registry names blobs. */
export function sha256(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** A small raw-HTTP client for the OCI API, for tests that assert on exact responses. */
export class OciClient {
  constructor(readonly baseUrl: string) {}

  /** Sends a request to a path (or a Location value) and returns the response. */
  async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    return fetch(url, { method, headers: init.headers, body: init.body, redirect: 'manual' });
  }

  /** Uploads a blob with POST then PUT and returns its digest. Throws unless 201. */
  async pushBlob(repository: string, content: Buffer | string): Promise<string> {
    const digest = sha256(content);
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    expectStatus(start, 202);
    const location = withQuery(start.headers.get('location')!, `digest=${digest}`);
    const done = await this.request('PUT', location, {
      headers: OCTET_STREAM_HEADERS,
      body: content,
    });
    expectStatus(done, 201);
    return digest;
  }

  /** Pushes a manifest by tag or digest and returns its digest. Throws unless 201. */
  async pushManifest(
    repository: string,
    reference: string,
    manifest: object | string,
    mediaType?: string,
  ): Promise<string> {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    const type =
      mediaType ?? (JSON.parse(body) as { mediaType?: string }).mediaType ?? OCI_MANIFEST;
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'Content-Type': type },
      body,
    });
    expectStatus(response, 201);
    return sha256(body);
  }

  /** Pushes a one-layer OCI image (config + layer) and returns the manifest's digest. */
  async pushImage(
    repository: string,
    tag: string,
    layer: Buffer | string = `layer of ${tag}`,
  ): Promise<string> {
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    await this.pushBlob(repository, config);
    await this.pushBlob(repository, layer);
    return this.pushManifest(
      repository,
      tag,
      imageManifest(descriptorOf(config), [descriptorOf(layer)]),
    );
  }
}

/** Builds an OCI image manifest from a config and layers. */
export function imageManifest(
  config: { digest: string; size: number; mediaType?: string },
  layers: { digest: string; size: number; mediaType?: string }[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((layer) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      ...layer,
    })),
    ...extra,
  };
}

/** Builds an OCI image index over `manifests` (descriptors), with `extra` fields after them. */
export function imageIndex(
  manifests: readonly object[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests, ...extra };
}

/** Returns the descriptor of `content`: `mediaType` when given, its digest and its size. */
export function descriptorOf(
  content: Buffer | string,
  mediaType?: string,
): { mediaType?: string; digest: string; size: number } {
  const descriptor = { digest: sha256(content), size: Buffer.byteLength(content) };
  return mediaType === undefined ? descriptor : { mediaType, ...descriptor };
}

/** Appends a query parameter to a Location value, with `?` or `&` as it needs. */
export function withQuery(location: string, parameter: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${parameter}`;
}

/** Throws with the response body when the status is not the expected one. */
export function expectStatus(response: Response, status: number): void {
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status} from ${response.url}`);
  }
}

/** Reads an OCI error body and returns its first error code. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}
