import {
  assertPulledLayout,
  OciLayoutBuilder,
  RegistryClients,
  sha256OfFile,
  startRecordingProxy,
  startTestRegistry,
  writeRandomLayer,
  type ContentDescriptor,
  type Layer,
  type RecordedRequest,
  type RecordingProxy,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// One image whose only layer is 300 MB of random (incompressible) bytes, pushed by real
// clients in each way clients upload: one streamed PATCH (skopeo, crane), one monolithic PUT
// (oras), and PATCH chunks with Content-Range (regctl). A recording proxy between client and
// registry shows how each upload actually went over the wire. skopeo, crane and oras each
// copy their push to another repository of the same registry (a cross-repository mount, so
// the layer is not sent again), and another client pulls the copy back, so one pull checks
// both byte for byte. The layer is generated once for the suite; each pulled copy is deleted
// as soon as it is checked. Disk use peaks under 2 GB: the layout, four registries, a pull.

const LAYER_BYTES = 300 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024 * 1024;
const TAG = 'v1';

/** A registry of one's own, behind a recording proxy, and clients pointed at the proxy. */
interface UploadTarget {
  readonly registry: TestRegistry;
  readonly proxy: RecordingProxy;
  readonly clients: RegistryClients;
  /** Returns `<proxy host>/<name>:v1`. */
  reference(name: string): string;
}

describe('an image with a 300 MB random layer', () => {
  let workDir: string;
  let layout: OciLayoutBuilder;
  let layer: Layer;
  let image: ContentDescriptor;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-large-layer-'));
    layout = await OciLayoutBuilder.create(join(workDir, 'source'));
    const file = join(workDir, 'layer.tar');
    await writeRandomLayer(file, 'data/random.bin', LAYER_BYTES);
    layer = await layout.moveLayerFile(file);
    image = await layout.addImage({ layers: [layer] });
    await layout.tag(image, TAG);
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  /** Asserts the layout pulled into `dir` holds the image, then deletes it. */
  async function assertPulledAndRemove(dir: string): Promise<void> {
    await assertPulledLayout(dir, layout, image);
    await rm(dir, { recursive: true });
  }

  // Each way of uploading gets a registry of its own: clients mount a blob the registry
  // already holds instead of uploading it (regctl even without `from`), which would skip
  // the very upload under test.

  describe('pushed by skopeo as one streamed PATCH', () => {
    const target = useFreshRegistry();
    const pushed = 'e2e/large/streamed';
    const copied = 'e2e/large/streamed-copy';

    it('sends the whole layer in one PATCH without Content-Range, then an empty PUT', async () => {
      await target.clients.skopeo(
        'copy',
        '--preserve-digests',
        `oci:${layout.dir}:${TAG}`,
        `docker://${target.reference(pushed)}`,
      );

      assert.deepEqual(uploadOf(target.proxy.requests, layer.descriptor.digest), [
        `PATCH ${layer.descriptor.size}`,
        'PUT 0',
      ]);
    });

    it('is copied by skopeo to another repository under the same digest, mounting the layer', async () => {
      await target.clients.skopeo(
        'copy',
        '--preserve-digests',
        `docker://${target.reference(pushed)}`,
        `docker://${target.reference(copied)}`,
      );

      await assertCopiedByMount(target, copied);
    });

    it('is pulled back from the copy by regctl with the digests pushed', async () => {
      const pulled = join(workDir, 'regctl-pull');

      await target.clients.regctl(
        'image',
        'copy',
        target.reference(copied),
        `ocidir://${pulled}:${TAG}`,
      );

      await assertPulledAndRemove(pulled);
    });
  });

  describe('pushed by crane as one streamed PATCH', () => {
    const target = useFreshRegistry();
    const pushed = 'e2e/large/crane';
    const copied = 'e2e/large/crane-copy';

    it('sends the whole layer in one PATCH without Content-Range, then an empty PUT', async () => {
      await target.clients.crane('push', layout.dir, target.reference(pushed));

      assert.deepEqual(uploadOf(target.proxy.requests, layer.descriptor.digest), [
        `PATCH ${layer.descriptor.size}`,
        'PUT 0',
      ]);
    });

    it('is copied by crane to another repository under the same digest, mounting the layer', async () => {
      await target.clients.crane('copy', target.reference(pushed), target.reference(copied));

      await assertCopiedByMount(target, copied);
    });

    it('is pulled back from the copy by skopeo into an oci: layout with the digests pushed', async () => {
      const pulled = join(workDir, 'skopeo-pull');

      await target.clients.skopeo(
        'copy',
        '--preserve-digests',
        `docker://${target.reference(copied)}`,
        `oci:${pulled}:${TAG}`,
      );

      await assertPulledAndRemove(pulled);
    });
  });

  describe('pushed by oras as one monolithic PUT', () => {
    const target = useFreshRegistry();
    const pushed = 'e2e/large/monolithic';
    const copied = 'e2e/large/monolithic-copy';

    it('sends the whole layer in the closing PUT and no PATCH', async () => {
      await target.clients.oras(
        'cp',
        '--from-oci-layout',
        `${layout.dir}:${TAG}`,
        target.reference(pushed),
      );

      assert.deepEqual(uploadOf(target.proxy.requests, layer.descriptor.digest), [
        `PUT ${layer.descriptor.size}`,
      ]);
    });

    it('is copied by oras to another repository under the same digest, mounting the layer', async () => {
      await target.clients.oras('cp', target.reference(pushed), target.reference(copied));

      await assertCopiedByMount(target, copied);
    });

    it('is pulled back from the copy by oras blob fetch with the same sha256', async () => {
      const pulled = join(workDir, 'oras-blob');
      const blob = `${target.proxy.host}/${copied}@${layer.descriptor.digest}`;

      await target.clients.oras('blob', 'fetch', '--output', pulled, blob);

      assert.equal(await sha256OfFile(pulled), layer.descriptor.digest);
      await rm(pulled);
    });
  });

  describe('pushed by regctl in 64 MiB chunks', () => {
    const target = useFreshRegistry();

    it('sends PATCH chunks with contiguous Content-Range, then an empty PUT', async () => {
      const { clients, proxy } = target;
      await clients.regctl(
        'registry',
        'set',
        proxy.host,
        `--blob-max=${1024 * 1024}`,
        `--blob-chunk=${CHUNK_BYTES}`,
      );

      await clients.regctl(
        'image',
        'copy',
        `ocidir://${layout.dir}:${TAG}`,
        target.reference('e2e/large/chunked'),
      );

      assert.deepEqual(uploadOf(proxy.requests, layer.descriptor.digest), [
        ...chunkRequests(layer.descriptor.size, CHUNK_BYTES),
        'PUT 0',
      ]);
    });

    it('is pulled back by crane with the digests pushed', async () => {
      const pulled = join(workDir, 'crane-pull');

      await target.clients.crane(
        'pull',
        '--format',
        'oci',
        target.reference('e2e/large/chunked'),
        pulled,
      );

      await assertPulledAndRemove(pulled);
    });
  });

  /**
   * Asserts that `repository:v1` serves the image, and that the copy mounted the layer from
   * where it was pushed (one `POST ?mount=` answered 201) instead of sending its bytes again.
   */
  async function assertCopiedByMount(target: UploadTarget, repository: string): Promise<void> {
    const { stdout: digest } = await target.clients.crane('digest', target.reference(repository));
    assert.equal(digest.trim(), image.digest);
    const toCopy = target.proxy.requests.filter((request) =>
      request.url.startsWith(`/v2/${repository}/`),
    );
    const mounts = toCopy.filter(
      (request) =>
        request.method === 'POST' &&
        decodeURIComponent(request.url).includes(`mount=${layer.descriptor.digest}`),
    );
    assert.deepEqual(
      mounts.map((request) => request.status),
      [201],
    );
    const bytesSent = toCopy.reduce((sum, request) => sum + request.bodyBytes, 0);
    assert.ok(bytesSent < layer.descriptor.size, `${bytesSent} bytes sent to ${repository}`);
  }
});

/** Starts, for the enclosing describe, a fresh registry behind a recording proxy. */
function useFreshRegistry(): UploadTarget {
  const target = {
    reference: (name: string) => `${target.proxy.host}/${name}:${TAG}`,
  } as { -readonly [Key in keyof UploadTarget]: UploadTarget[Key] };
  before(async () => {
    target.registry = await startTestRegistry();
    target.proxy = await startRecordingProxy(target.registry.url);
    target.clients = await RegistryClients.create(target.proxy.host);
  });
  after(async () => {
    await target.clients.remove();
    await target.proxy.close();
    await target.registry.close();
  });
  return target;
}

/**
 * Returns, as `<method> <body bytes>[ <Content-Range>]`, the requests of the upload session
 * that committed `digest`: every request to the URL of the PUT that carried `?digest=`.
 */
function uploadOf(requests: readonly RecordedRequest[], digest: string): string[] {
  const encoded = digest.slice(digest.indexOf(':') + 1);
  const closing = requests.find(
    (request) => request.method === 'PUT' && request.url.includes(encoded),
  );
  assert.ok(closing, `no PUT committed ${digest}`);
  const session = pathOf(closing.url);
  return requests
    .filter((request) => pathOf(request.url) === session)
    .map(
      (request) =>
        `${request.method} ${request.bodyBytes}${request.contentRange ? ` ${request.contentRange}` : ''}`,
    );
}

/** The PATCH requests that send `size` bytes in chunks of `chunk`, as `uploadOf` shows them. */
function chunkRequests(size: number, chunk: number): string[] {
  const requests: string[] = [];
  for (let start = 0; start < size; start += chunk) {
    const end = Math.min(start + chunk, size) - 1;
    requests.push(`PATCH ${end - start + 1} ${start}-${end}`);
  }
  return requests;
}

function pathOf(url: string): string {
  return url.split('?')[0]!;
}
