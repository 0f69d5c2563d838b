import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import {
  assertOciError,
  BLOB_E,
  BLOB_T,
  descriptorOf,
  DIGEST_E,
  DIGEST_T,
  EMPTY_DESCRIPTOR,
  imageIndex,
  imageManifest,
  OCI_INDEX,
  OCI_MANIFEST,
  OciClient,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

// Field cases F07, F08 and F10: the headers manifests and blobs are served with, Accept
// negotiation that never rewrites content, and manifests with media types the registry does
// not know.

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const CONTAINERD_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');

/** The headers a HEAD and a GET of the same content must agree on. */
const CONTENT_HEADERS = ['content-type', 'content-length', 'docker-content-digest'];

describe('field cases: manifests and content headers', () => {
  let registry: TestRegistry;
  let client: OciClient;
  const pushed: { name: string; mediaType: string; body: string; digest: string }[] = [];

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
    await client.pushBlob('team/app', BLOB_E);
    await client.pushBlob('team/app', BLOB_T);
    const image = JSON.stringify(imageManifest(EMPTY_DESCRIPTOR, [{ digest: DIGEST_T, size: 5 }]));
    const docker = JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: DIGEST_E,
        size: 2,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: DIGEST_T,
          size: 5,
        },
      ],
    });
    const platform = { architecture: 'amd64', os: 'linux' };
    const index = JSON.stringify(imageIndex([{ ...descriptorOf(image, OCI_MANIFEST), platform }]));
    const list = JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [descriptorOf(docker, DOCKER_MANIFEST)],
    });
    for (const [name, mediaType, body] of [
      ['oci', OCI_MANIFEST, image],
      ['docker', DOCKER_MANIFEST, docker],
      ['index', OCI_INDEX, index],
      ['list', DOCKER_LIST, list],
    ] as const) {
      const digest = await client.pushManifest('team/app', name, body, mediaType);
      pushed.push({ name, mediaType, body, digest });
    }
  });

  after(async () => {
    await registry.close();
  });

  describe('HEAD and GET /v2/:name/manifests/:reference', () => {
    it('F07: answers HEAD by tag and by digest with Docker-Content-Digest, Content-Type and Content-Length', async () => {
      for (const manifest of pushed) {
        for (const reference of [manifest.name, manifest.digest]) {
          const path = `/v2/team/app/manifests/${reference}`;
          const headers = { Accept: CONTAINERD_ACCEPT };

          const head = await client.request('HEAD', path, { headers });
          const get = await client.request('GET', path, { headers });

          assert.equal(head.status, 200, path);
          assert.equal(head.headers.get('docker-content-digest'), manifest.digest, path);
          assert.equal(head.headers.get('content-type'), manifest.mediaType, path);
          assert.equal(
            head.headers.get('content-length'),
            String(Buffer.byteLength(manifest.body)),
          );
          assert.equal((await head.arrayBuffer()).byteLength, 0, `${path}: HEAD sent a body`);
          assert.equal(get.status, 200, path);
          assertSameHeaders(head, get, path);
          assert.equal(sha256(Buffer.from(await get.arrayBuffer())), manifest.digest, path);
        }
      }
    });

    it('F07: sends Docker-Content-Digest on HEAD without any Accept header', async () => {
      const [manifest] = pushed;

      const head = await client.request('HEAD', `/v2/team/app/manifests/${manifest!.name}`);

      assert.equal(head.status, 200);
      assert.equal(head.headers.get('docker-content-digest'), manifest!.digest);
    });
  });

  describe('HEAD and GET /v2/:name/blobs/:digest', () => {
    it('F07: answers HEAD and GET of blobs with the same Docker-Content-Digest and Content-Length', async () => {
      const empty = await client.pushBlob('team/app', Buffer.alloc(0));
      const blobs = [
        { digest: DIGEST_T, content: BLOB_T },
        { digest: DIGEST_E, content: BLOB_E },
        { digest: empty, content: Buffer.alloc(0) },
        { digest: pushed[0]!.digest, content: Buffer.from(pushed[0]!.body) },
      ];
      for (const { digest, content } of blobs) {
        const path = `/v2/team/app/blobs/${digest}`;

        const head = await client.request('HEAD', path);
        const get = await client.request('GET', path);

        assert.equal(head.status, 200, path);
        assert.equal(head.headers.get('docker-content-digest'), digest, path);
        assert.equal(head.headers.get('content-length'), String(content.length), path);
        assert.equal((await head.arrayBuffer()).byteLength, 0, `${path}: HEAD sent a body`);
        assert.equal(get.status, 200, path);
        assertSameHeaders(head, get, path);
        assert.deepEqual(Buffer.from(await get.arrayBuffer()), content, path);
      }
    });
  });

  describe('GET /v2/:name/manifests/:reference with a narrow Accept', () => {
    it('F08: never serves a body whose digest differs from Docker-Content-Digest', async () => {
      const docker = pushed.find((manifest) => manifest.name === 'docker')!;
      for (const accept of [SCHEMA1_SIGNED, undefined, 'application/json', '*/*']) {
        for (const reference of ['docker', docker.digest]) {
          const path = `/v2/team/app/manifests/${reference}`;
          const headers: Record<string, string> = accept === undefined ? {} : { Accept: accept };

          const response = await client.request('GET', path, { headers });

          const context = `${path} with Accept ${accept}`;
          if (response.status === 404) {
            await assertOciError(response, 404, 'MANIFEST_UNKNOWN');
            continue;
          }
          assert.equal(response.status, 200, context);
          const body = Buffer.from(await response.arrayBuffer());
          assert.equal(response.headers.get('docker-content-digest'), sha256(body), context);
          assert.equal(sha256(body), docker.digest, `${context}: content was rewritten`);
          assert.equal(response.headers.get('content-type'), DOCKER_MANIFEST, context);
          const etag = response.headers.get('etag');
          assert.ok(etag === null || etag.includes(docker.digest), `${context}: ETag ${etag}`);
        }
      }
    });

    it('F08: answers a schema1-only Accept with 404 MANIFEST_UNKNOWN rather than converting', async () => {
      for (const manifest of pushed) {
        for (const reference of [manifest.name, manifest.digest]) {
          const response = await client.request('GET', `/v2/team/app/manifests/${reference}`, {
            headers: { Accept: SCHEMA1_SIGNED },
          });

          await assertOciError(response, 404, 'MANIFEST_UNKNOWN');
        }
      }
    });

    it('F08: serves the stored bytes to clients that send no Accept or application/json', async () => {
      for (const manifest of pushed) {
        for (const headers of [{}, { Accept: 'application/json' }] as Record<string, string>[]) {
          const response = await client.request('GET', `/v2/team/app/manifests/${manifest.name}`, {
            headers,
          });

          assert.equal(response.status, 200);
          assert.equal(response.headers.get('content-type'), manifest.mediaType);
          assert.equal(await response.text(), manifest.body);
        }
      }
    });
  });

  describe('PUT /v2/:name/manifests/:reference with unknown media types', () => {
    const CUSTOM_LAYER = 'application/vnd.example.layer.v1.tar';
    const variants = [
      { name: 'a', configType: 'application/vnd.oci.image.config.v1+json' },
      {
        name: 'b',
        configType: 'application/vnd.oci.image.config.v1+json',
        artifactType: 'application/vnd.example.pkg.v1',
      },
      { name: 'c', configType: 'application/vnd.example.pkg.config.v1+json' },
      {
        name: 'd',
        configType: 'application/vnd.oci.empty.v1+json',
        artifactType: 'application/vnd.example.pkg.v1',
      },
    ];

    before(async () => {
      await client.pushBlob('team/pkg', BLOB_E);
      await client.pushBlob('team/pkg', BLOB_T);
    });

    for (const variant of variants) {
      for (const layerType of ['application/vnd.oci.image.layer.v1.tar', CUSTOM_LAYER]) {
        it(`F10: stores variant ${variant.name} with layer type ${layerType} byte for byte`, async () => {
          const reference = `${variant.name}-${layerType === CUSTOM_LAYER ? 'custom' : 'standard'}`;
          const body = JSON.stringify(
            imageManifest(
              { mediaType: variant.configType, digest: DIGEST_E, size: 2 },
              [{ mediaType: layerType, digest: DIGEST_T, size: 5 }],
              variant.artifactType === undefined ? {} : { artifactType: variant.artifactType },
            ),
          );

          const put = await client.request('PUT', `/v2/team/pkg/manifests/${reference}`, {
            headers: { 'Content-Type': OCI_MANIFEST },
            body,
          });
          assert.equal(put.status, 201, await put.text());
          assert.ok(put.headers.get('location'));
          assert.equal(put.headers.get('docker-content-digest'), sha256(body));

          const get = await client.request('GET', `/v2/team/pkg/manifests/${reference}`);
          assert.equal(get.status, 200);
          assert.equal(await get.text(), body);
        });
      }
    }

    it('F10: stores an index with an unknown artifactType and child media type', async () => {
      const body = JSON.stringify(
        imageIndex([descriptorOf('thing', 'application/vnd.example.thing.v1+json')], {
          artifactType: 'application/vnd.example.bundle.v1',
        }),
      );

      const put = await client.request('PUT', '/v2/team/pkg/manifests/bundle', {
        headers: { 'Content-Type': OCI_INDEX },
        body,
      });

      assert.equal(put.status, 201, await put.text());
      const get = await client.request('GET', '/v2/team/pkg/manifests/bundle');
      assert.equal(await get.text(), body);
    });

    it('F10: rejects a syntactically invalid media type with 400 MANIFEST_INVALID', async () => {
      const fields = [
        { artifactType: 'not a type' },
        { config: { mediaType: 'not a type', digest: DIGEST_E, size: 2 } },
      ];
      for (const extra of fields) {
        const body = JSON.stringify(
          imageManifest({ digest: DIGEST_E, size: 2 }, [{ digest: DIGEST_T, size: 5 }], extra),
        );

        const put = await client.request('PUT', '/v2/team/pkg/manifests/invalid', {
          headers: { 'Content-Type': OCI_MANIFEST },
          body,
        });

        await assertOciError(put, 400, 'MANIFEST_INVALID');
      }
    });
  });
});

function assertSameHeaders(head: Response, get: Response, context: string): void {
  for (const name of CONTENT_HEADERS) {
    assert.equal(head.headers.get(name), get.headers.get(name), `${context}: ${name}`);
  }
}
