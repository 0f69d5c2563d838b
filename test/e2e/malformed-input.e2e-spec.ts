import {
  descriptorOf,
  imageManifest,
  OCI_INDEX,
  OCI_MANIFEST,
  OciClient,
  sendRaw,
  sha256,
  startTestRegistry,
  type RawRequestInit,
  type RawResponse,
  type TestRegistry,
} from '@tidemark/testing';
import type { Digest } from '@tidemark/oci';
import { pathFor, PathNotFoundError } from '@tidemark/storage';
import { strict as assert } from 'node:assert';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

// Malformed input on every route that takes it, one table per kind of input. Each row names
// a request (`METHOD path`, where `<placeholder>` takes the malformed value) and the status
// and OCI error code it must get. None may get a 500, and after the tables the same registry
// must still push and pull an image.

const REPOSITORY = 'malformed/base';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const CONFIG = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } });
const LAYER = 'the one layer of malformed/base';
const UNKNOWN_DIGEST = sha256('content that nobody pushed');
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const VALID_MANIFEST = imageManifest(descriptorOf(CONFIG), [descriptorOf(LAYER)]);

/** A malformed value, or a function that makes one (an upload id, say) when the test runs. */
type Value = string | (() => Promise<string>);

/** A request with `<placeholder>` in it, and the status and error code it must get. */
type Expectation = readonly [request: string, status: number, code: string];

let registry: TestRegistry;
const statuses: { request: string; status: number }[] = [];

async function send(method: string, path: string, init?: RawRequestInit): Promise<RawResponse> {
  const response = await sendRaw(registry.url, method, path, init);
  statuses.push({ request: `${method} ${path.slice(0, 120)}`, status: response.status });
  return response;
}

/** Asserts the status, and that the body is the OCI error JSON with one error of `code`. */
function assertOciError(response: RawResponse, status: number, code: string): void {
  assert.equal(response.status, status, response.body.toString().slice(0, 500));
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = JSON.parse(response.body.toString()) as { errors?: unknown };
  assert.ok(Array.isArray(body.errors) && body.errors.length === 1, response.body.toString());
  const [error] = body.errors as { code: unknown; message: unknown }[];
  assert.equal(error!.code, code);
  assert.equal(typeof error!.message, 'string');
}

/** Asserts that storage holds nothing under the content-addressed key of `digest`. */
async function assertBlobNotStored(digest: string): Promise<void> {
  const path = pathFor({ kind: 'blob-data', digest: digest as Digest });
  await assert.rejects(registry.storage.stat(path), PathNotFoundError);
}

/** Asserts the status of a HEAD request, whose response has no body to carry a code. */
function assertHeadError(response: RawResponse, status: number): void {
  assert.equal(response.status, status);
  assert.equal(response.body.length, 0);
}

function assertRefused(response: RawResponse, method: string, status: number, code: string): void {
  if (method === 'HEAD') {
    assertHeadError(response, status);
    return;
  }
  assertOciError(response, status, code);
}

function json(document: unknown, contentType = OCI_MANIFEST): RawRequestInit {
  const body =
    typeof document === 'string' || Buffer.isBuffer(document) ? document : JSON.stringify(document);
  return { headers: { 'Content-Type': contentType }, body };
}

function octets(body: string, headers: Record<string, string> = {}): RawRequestInit {
  return { headers: { 'Content-Type': 'application/octet-stream', ...headers }, body };
}

/** Returns `VALID_MANIFEST` with some fields replaced, as JSON. */
function manifestWith(fields: Record<string, unknown>): string {
  return JSON.stringify({ ...VALID_MANIFEST, ...fields });
}

function withLayer(fields: Record<string, unknown>): string {
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(LAYER) };
  return manifestWith({ layers: [{ ...layer, size: LAYER.length, ...fields }] });
}

/** Opens an upload session and returns its Location, a path. */
async function openUpload(repository = REPOSITORY): Promise<string> {
  const response = await send('POST', `/v2/${repository}/blobs/uploads/`);
  assert.equal(response.status, 202);
  return String(response.headers.location);
}

/** The body a request carries when only its URL is malformed: a valid one. */
function validBodyFor(method: string, path: string): RawRequestInit | undefined {
  if (method === 'PUT' && path.includes('/manifests/')) {
    return json(VALID_MANIFEST);
  }
  return ['PATCH', 'PUT', 'POST'].includes(method) ? octets(LAYER) : undefined;
}

/** Sends `METHOD path`, where `<upload>` stands for the Location of a new upload session. */
async function sendRequest(request: string, init?: RawRequestInit): Promise<RawResponse> {
  const [method, template] = request.split(' ') as [string, string];
  const path = template.includes('<upload>')
    ? template.replace('<upload>', await openUpload())
    : template;
  return send(method, path, init ?? validBodyFor(method, path));
}

/** Shortens the digests and upload ids in a request, for a readable test name. */
function shorten(request: string): string {
  return request.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/[0-9a-f-]{36}/g, '<uuid>');
}

/** One test per value and request: the value in place of `placeholder` must be refused. */
function describeTable(
  title: string,
  placeholder: string,
  values: [label: string, value: Value][],
  expectations: Expectation[],
): void {
  const cases = values.flatMap(([label, value]) =>
    expectations.map((expectation) => ({ label, value, expectation })),
  );
  describe(title, () => {
    for (const { label, value, expectation } of cases) {
      const [request, status, code] = expectation;
      it(`${shorten(request)} refuses ${label}: ${status} ${code}`, async () => {
        const malformed = typeof value === 'string' ? value : await value();
        const response = await sendRequest(request.replace(placeholder, malformed));
        assertRefused(response, request.split(' ')[0]!, status, code);
      });
    }
  });
}

/** A body of `size` bytes, streamed in parts and so sent without a Content-Length. */
function streamOf(size: number): Readable {
  const part = Buffer.alloc(64 * 1024, 0x20);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += part.length) {
        yield part.subarray(0, Math.min(part.length, size - sent));
      }
    })(),
  );
}

describe('malformed input', () => {
  before(async () => {
    registry = await startTestRegistry();
    const client = new OciClient(registry.url);
    await client.pushBlob(REPOSITORY, CONFIG);
    await client.pushBlob(REPOSITORY, LAYER);
    await client.pushManifest(REPOSITORY, 'base', VALID_MANIFEST);
  });

  after(async () => {
    await registry.close();
  });

  describeTable(
    'repository names',
    '<name>',
    [
      ['a name with uppercase letters', 'Malformed/App'],
      ['a name with a parent-directory component', 'malformed/../app'],
      ['a name with a leading slash', '/malformed/app'],
      ['a name with an empty component', 'malformed//app'],
      ['a name of 256 characters', 'a'.repeat(256)],
      ['a name of 256 characters in valid components', `${'ab/'.repeat(85)}a`],
    ],
    [
      ['GET /v2/<name>/manifests/base', 400, 'NAME_INVALID'],
      ['HEAD /v2/<name>/manifests/base', 400, 'NAME_INVALID'],
      ['PUT /v2/<name>/manifests/base', 400, 'NAME_INVALID'],
      ['DELETE /v2/<name>/manifests/base', 400, 'NAME_INVALID'],
      ['GET /v2/<name>/tags/list', 400, 'NAME_INVALID'],
      [`GET /v2/<name>/referrers/${UNKNOWN_DIGEST}`, 400, 'NAME_INVALID'],
      ['POST /v2/<name>/blobs/uploads/', 400, 'NAME_INVALID'],
      [`PATCH /v2/<name>/blobs/uploads/${randomUUID()}`, 400, 'NAME_INVALID'],
      [`GET /v2/<name>/blobs/${sha256(LAYER)}`, 400, 'NAME_INVALID'],
      [`HEAD /v2/<name>/blobs/${sha256(LAYER)}`, 400, 'NAME_INVALID'],
      [`DELETE /v2/<name>/blobs/${sha256(LAYER)}`, 400, 'NAME_INVALID'],
    ],
  );

  describeTable(
    'tags',
    '<tag>',
    [
      ['a tag of 129 characters', 'a'.repeat(129)],
      ['a tag with a leading period', '.hidden'],
      ['a tag with a leading dash', '-rc1'],
    ],
    [
      [`PUT /v2/${REPOSITORY}/manifests/<tag>`, 400, 'MANIFEST_INVALID'],
      [`PUT /v2/${REPOSITORY}/manifests/base?tag=<tag>`, 400, 'MANIFEST_INVALID'],
      [`GET /v2/${REPOSITORY}/manifests/<tag>`, 404, 'MANIFEST_UNKNOWN'],
      [`HEAD /v2/${REPOSITORY}/manifests/<tag>`, 404, 'MANIFEST_UNKNOWN'],
      [`DELETE /v2/${REPOSITORY}/manifests/<tag>`, 404, 'MANIFEST_UNKNOWN'],
    ],
  );

  const badDigests: [string, string][] = [
    ['a digest with hex of the wrong length', `sha256:${'a'.repeat(63)}`],
    ['a digest with uppercase hex', `sha256:${'A'.repeat(64)}`],
    ['a digest of an unknown algorithm', `md5:${'a'.repeat(32)}`],
    ['a digest without a colon', `sha256${'a'.repeat(64)}`],
  ];
  describeTable('digests', '<digest>', badDigests, [
    [`GET /v2/${REPOSITORY}/blobs/<digest>`, 400, 'DIGEST_INVALID'],
    [`HEAD /v2/${REPOSITORY}/blobs/<digest>`, 400, 'DIGEST_INVALID'],
    [`DELETE /v2/${REPOSITORY}/blobs/<digest>`, 400, 'DIGEST_INVALID'],
    [`GET /v2/${REPOSITORY}/referrers/<digest>`, 400, 'DIGEST_INVALID'],
    [`POST /v2/${REPOSITORY}/blobs/uploads/?digest=<digest>`, 400, 'DIGEST_INVALID'],
    ['PUT <upload>?digest=<digest>', 400, 'DIGEST_INVALID'],
  ]);
  describeTable(
    'query parameters',
    '<value>',
    [
      ['a value of U+0000', '%00'],
      ['a value with U+0000 inside', 'a%00b'],
    ],
    [
      [`GET /v2/${REPOSITORY}/tags/list?last=<value>`, 400, 'UNSUPPORTED'],
      ['GET /v2/_catalog?last=<value>', 400, 'UNSUPPORTED'],
      [
        `GET /v2/${REPOSITORY}/referrers/${UNKNOWN_DIGEST}?artifactType=<value>`,
        400,
        'UNSUPPORTED',
      ],
      [
        `POST /v2/${REPOSITORY}/blobs/uploads/?mount=${UNKNOWN_DIGEST}&from=<value>`,
        400,
        'UNSUPPORTED',
      ],
      [`PUT /v2/${REPOSITORY}/manifests/base?tag=<value>`, 400, 'UNSUPPORTED'],
    ],
  );

  // Without a colon a reference is a tag, and `sha256<hex>` is a valid tag.
  describeTable(
    'digests as manifest references',
    '<digest>',
    badDigests.filter(([, digest]) => digest.includes(':')),
    [[`PUT /v2/${REPOSITORY}/manifests/<digest>`, 400, 'DIGEST_INVALID']],
  );

  describe('upload Content-Range', () => {
    const ranges: [string, string, number][] = [
      ['a single number', '5', 400],
      ['letters', 'a-b', 400],
      ['no start', '-3', 400],
      ['an end before the start', '9-2', 400],
      ['a start past the bytes received, out of order', '4-7', 416],
      ['a length other than the Content-Length', '0-9', 416],
    ];
    for (const [label, range, status] of ranges) {
      it(`PATCH <upload> refuses a Content-Range of ${label}, "${range}": ${status} BLOB_UPLOAD_INVALID`, async () => {
        const response = await sendRequest(
          'PATCH <upload>',
          octets('abcd', { 'Content-Range': range }),
        );
        assertOciError(response, status, 'BLOB_UPLOAD_INVALID');
      });
    }

    it('leaves the session where it was after a chunk out of order, so it can resume', async () => {
      const location = await openUpload();
      const commit = `${location}?digest=${sha256('0123456789')}`;
      const first = await send('PATCH', location, octets('01234', { 'Content-Range': '0-4' }));
      assert.equal(first.status, 202);
      const skipping = octets('abcde', { 'Content-Range': '10-14' });
      assertOciError(await send('PATCH', location, skipping), 416, 'BLOB_UPLOAD_INVALID');
      const repeating = octets('01234', { 'Content-Range': '0-4' });
      assertOciError(await send('PATCH', location, repeating), 416, 'BLOB_UPLOAD_INVALID');
      const lastMisplaced = octets('56789', { 'Content-Range': '6-10' });
      assertOciError(await send('PUT', commit, lastMisplaced), 416, 'BLOB_UPLOAD_INVALID');

      const status = await send('GET', location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.range, '0-4');
      const last = octets('56789', { 'Content-Range': '5-9' });
      assert.equal((await send('PUT', commit, last)).status, 201);
    });
  });

  describe('manifest bodies', () => {
    const broken = `/v2/${REPOSITORY}/manifests/broken`;
    const schema1 = {
      schemaVersion: 1,
      name: REPOSITORY,
      tag: 'broken',
      fsLayers: [],
      history: [],
    };
    const invalid: [string, string | Buffer, string?][] = [
      ['truncated JSON', JSON.stringify(VALID_MANIFEST).slice(0, 60)],
      ['bytes that are not JSON', Buffer.from([0, 0xff, 0xfe, 0x7b])],
      ['an empty body', ''],
      ['a JSON array', JSON.stringify([VALID_MANIFEST])],
      ['a JSON string', '"manifest"'],
      ['a JSON number', '2'],
      ['JSON null', 'null'],
      ['schemaVersion 3', manifestWith({ schemaVersion: 3 })],
      ['schemaVersion as a string', manifestWith({ schemaVersion: '2' })],
      ['no schemaVersion', manifestWith({ schemaVersion: undefined })],
      ['a schema 1 manifest', JSON.stringify(schema1), SCHEMA1_SIGNED],
      ['a schema 1 manifest sent as JSON', JSON.stringify(schema1), 'application/json'],
      ['an index body under an image Content-Type', manifestWith({ mediaType: OCI_INDEX })],
      ['an image body under an index Content-Type', JSON.stringify(VALID_MANIFEST), OCI_INDEX],
      ['a type that is no manifest', manifestWith({ mediaType: undefined }), 'text/plain'],
      ['a config that is not an object', manifestWith({ config: 'config.json' })],
      ['a layer with a malformed digest', withLayer({ digest: 'sha256:xyz' })],
      ['a layer with uppercase hex', withLayer({ digest: sha256(LAYER).toUpperCase() })],
      ['a layer with a negative size', withLayer({ size: -1 })],
      ['a layer with a fractional size', withLayer({ size: 1.5 })],
      [
        'JSON whose bytes are not UTF-8',
        Buffer.concat([
          Buffer.from(JSON.stringify(VALID_MANIFEST).slice(0, -1)),
          Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
        ]),
      ],
      ['an escaped U+0000 in an annotation', manifestWith({ annotations: { note: 'a\u0000b' } })],
      [
        'an escaped U+0000 in an annotation name',
        manifestWith({ annotations: { 'a\u0000': 'b' } }),
      ],
      ['an unpaired surrogate in an annotation', manifestWith({ annotations: { note: '\ud800' } })],
    ];
    for (const [label, body, contentType] of invalid) {
      it(`PUT /v2/<name>/manifests/<tag> refuses ${label}: 400 MANIFEST_INVALID`, async () => {
        assertOciError(await send('PUT', broken, json(body, contentType)), 400, 'MANIFEST_INVALID');
      });
    }

    it('PUT /v2/<name>/manifests/<tag> refuses a layer the repository lacks: 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const response = await send('PUT', broken, json(withLayer({ digest: UNKNOWN_DIGEST })));
      assertOciError(response, 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('PUT /v2/<name>/manifests/<tag> names the first 20 of many missing layers, and their count', async () => {
      const layers = Array.from({ length: 500 }, (_, index) =>
        descriptorOf(`never pushed ${index}`, 'application/vnd.oci.image.layer.v1.tar'),
      );
      const response = await send('PUT', broken, json(manifestWith({ layers })));
      assertOciError(response, 400, 'MANIFEST_BLOB_UNKNOWN');
      const [error] = (
        JSON.parse(response.body.toString()) as {
          errors: { detail: { blobs: string[]; missing: number } }[];
        }
      ).errors;
      assert.equal(error!.detail.blobs.length, 20);
      assert.equal(error!.detail.missing, 500);
    });

    const oversize: [string, () => Buffer | Readable][] = [
      ['a declared length', () => Buffer.alloc(MANIFEST_LIMIT + 1, 0x20)],
      ['a streamed body', () => streamOf(MANIFEST_LIMIT + 64 * 1024)],
    ];
    for (const [label, body] of oversize) {
      it(`PUT /v2/<name>/manifests/<tag> refuses ${label} over 4 MiB: 413 SIZE_INVALID`, async () => {
        const headers = { 'Content-Type': OCI_MANIFEST };
        assertOciError(await send('PUT', broken, { headers, body: body() }), 413, 'SIZE_INVALID');
      });
    }

    it('stored nothing under the tag every refused manifest was pushed to', async () => {
      assertOciError(await send('GET', broken), 404, 'MANIFEST_UNKNOWN');
    });
  });

  describe('digest mismatches', () => {
    it('refuses a manifest pushed by a digest its bytes do not have, and stores nothing', async () => {
      const content = manifestWith({ annotations: { attempt: 'mismatch' } });
      const byDigest = `/v2/${REPOSITORY}/manifests/${UNKNOWN_DIGEST}`;
      assertOciError(await send('PUT', byDigest, json(content)), 400, 'DIGEST_INVALID');
      assertOciError(await send('GET', byDigest), 404, 'MANIFEST_UNKNOWN');
      const byContent = `/v2/${REPOSITORY}/manifests/${sha256(content)}`;
      assertOciError(await send('GET', byContent), 404, 'MANIFEST_UNKNOWN');
    });

    it('refuses a manifest pushed by a sha512 digest its bytes do not have', async () => {
      const digest = `sha512:${createHash('sha512').update('other bytes').digest('hex')}`;
      const response = await send(
        'PUT',
        `/v2/${REPOSITORY}/manifests/${digest}`,
        json(VALID_MANIFEST),
      );
      assertOciError(response, 400, 'DIGEST_INVALID');
    });

    const commits: [string, (content: string, digest: string) => Promise<RawResponse>][] = [
      [
        'a monolithic PUT',
        async (content, digest) =>
          send('PUT', `${await openUpload()}?digest=${digest}`, octets(content)),
      ],
      [
        'a PUT after a PATCH',
        async (content, digest) => {
          const location = await openUpload();
          assert.equal((await send('PATCH', location, octets(content))).status, 202);
          return send('PUT', `${location}?digest=${digest}`, octets(''));
        },
      ],
      [
        'a single POST',
        (content, digest) =>
          send('POST', `/v2/${REPOSITORY}/blobs/uploads/?digest=${digest}`, octets(content)),
      ],
    ];
    for (const [label, commit] of commits) {
      it(`refuses an upload committed by ${label} under another digest, and the blob never appears`, async () => {
        const content = `bytes committed by ${label}`;
        assertOciError(await commit(content, UNKNOWN_DIGEST), 400, 'DIGEST_INVALID');
        for (const digest of [UNKNOWN_DIGEST, sha256(content)]) {
          const path = `/v2/${REPOSITORY}/blobs/${digest}`;
          assertOciError(await send('GET', path), 404, 'BLOB_UNKNOWN');
          assertHeadError(await send('HEAD', path), 404);
          await assertBlobNotStored(digest);
        }
        const manifest = json(withLayer(descriptorOf(content)));
        const push = await send('PUT', `/v2/${REPOSITORY}/manifests/broken`, manifest);
        assertOciError(push, 400, 'MANIFEST_BLOB_UNKNOWN');
      });
    }

    it('ends the upload session whose commit failed', async () => {
      const location = await openUpload();
      const commit = await send('PUT', `${location}?digest=${UNKNOWN_DIGEST}`, octets('abc'));
      assertOciError(commit, 400, 'DIGEST_INVALID');
      assertOciError(await send('GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    });
  });

  describeTable(
    'upload sessions',
    '<id>',
    [
      ['an upload id never issued', randomUUID()],
      ['an upload id that is no UUID', 'not-an-upload'],
      [
        'the upload id of another repository',
        async () => (await openUpload('malformed/other')).split('/').pop()!,
      ],
    ],
    [
      [`GET /v2/${REPOSITORY}/blobs/uploads/<id>`, 404, 'BLOB_UPLOAD_UNKNOWN'],
      [`PATCH /v2/${REPOSITORY}/blobs/uploads/<id>`, 404, 'BLOB_UPLOAD_UNKNOWN'],
      [
        `PUT /v2/${REPOSITORY}/blobs/uploads/<id>?digest=${sha256(LAYER)}`,
        404,
        'BLOB_UPLOAD_UNKNOWN',
      ],
      [`DELETE /v2/${REPOSITORY}/blobs/uploads/<id>`, 404, 'BLOB_UPLOAD_UNKNOWN'],
    ],
  );

  describeTable(
    'pagination',
    '<n>',
    ['-1', 'abc', '1.5', '', '1e3', '10000000000'].map((n) => [`n="${n}"`, n]),
    [
      [`GET /v2/${REPOSITORY}/tags/list?n=<n>`, 400, 'UNSUPPORTED'],
      ['GET /v2/_catalog?n=<n>', 400, 'UNSUPPORTED'],
    ],
  );

  describe('requests the HTTP parser or the HTTP rules refuse', () => {
    /** Sends `head` as the bytes of a request and reads the answer until the server closes. */
    async function sendBytes(head: string): Promise<RawResponse> {
      const { hostname, port } = new URL(registry.url);
      const socket = connect(Number(port), hostname);
      const parts: Buffer[] = [];
      socket.on('data', (part: Buffer) => parts.push(part));
      socket.end(head);
      await once(socket, 'close');
      const text = Buffer.concat(parts).toString('latin1');
      const [lines = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = lines.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const status = Number(statusLine.split(' ')[1]);
      statuses.push({ request: `raw ${head.slice(0, 60)}`, status });
      return { status, headers, body: Buffer.from(body, 'latin1') };
    }

    const upload = `/v2/${REPOSITORY}/blobs/uploads/`;
    const cases: readonly [label: string, head: string, status: number, code: string][] = [
      [
        'a Content-Length that is not a number',
        `POST ${upload} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
        400,
        'SIZE_INVALID',
      ],
      [
        'two Content-Lengths that differ',
        `POST ${upload} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
        400,
        'SIZE_INVALID',
      ],
      [
        'a header line without a colon',
        `GET /v2/ HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n`,
        400,
        'UNSUPPORTED',
      ],
      ['an HTTP/1.1 request without Host', `GET /v2/ HTTP/1.1\r\n\r\n`, 400, 'UNSUPPORTED'],
      ['an empty Host', `GET /v2/ HTTP/1.1\r\nHost:\r\n\r\n`, 400, 'UNSUPPORTED'],
      ['two Hosts', `GET /v2/ HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n`, 400, 'UNSUPPORTED'],
      [
        'a CONNECT, for a registry is no proxy',
        `CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n`,
        405,
        'UNSUPPORTED',
      ],
      [
        'headers over the size limit',
        `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'UNSUPPORTED',
      ],
    ];
    for (const [label, head, status, code] of cases) {
      it(`answers ${label} with ${status} ${code} and closes the connection`, async () => {
        const response = await sendBytes(head);
        assertOciError(response, status, code);
        assert.equal(response.headers.connection, 'close');
      });
    }
  });

  describe('afterwards', () => {
    it('never answered with a server error', () => {
      assert.ok(statuses.length > 100, `only ${statuses.length} requests were sent`);
      assert.deepEqual(
        statuses.filter((entry) => entry.status >= 500),
        [],
      );
    });

    it('still pushes and pulls an image', async () => {
      const client = new OciClient(registry.url);
      const layer = 'a layer pushed after all the malformed input';
      const digest = await client.pushImage('malformed/after', 'v1', layer);
      const headers = { Accept: OCI_MANIFEST };
      const manifest = await client.request('GET', '/v2/malformed/after/manifests/v1', { headers });
      assert.equal(manifest.status, 200);
      assert.equal(manifest.headers.get('docker-content-digest'), digest);
      assert.equal(sha256(Buffer.from(await manifest.arrayBuffer())), digest);
      const blob = await client.request('GET', `/v2/malformed/after/blobs/${sha256(layer)}`);
      assert.equal(blob.status, 200);
      assert.equal(await blob.text(), layer);
    });
  });
});
