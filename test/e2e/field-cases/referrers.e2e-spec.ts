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
  readOciErrors,
  sha256,
  startTestRegistry,
  type TestRegistry,
} from '@tidemark/testing';

// Field cases F11, F12 and F13: manifests with a `subject`, the OCI-Subject header that
// confirms the registry processed it, and the referrers API with and without filtering.

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; artifactType?: string }[];
}

describe('field cases: subjects and referrers', () => {
  let registry: TestRegistry;
  let client: OciClient;
  const sbomLayer = Buffer.from('{"spdxVersion":"SPDX-2.3"}');

  before(async () => {
    registry = await startTestRegistry();
    client = new OciClient(registry.url);
  });

  after(async () => {
    await registry.close();
  });

  /** Uploads E, T and the SBOM layer to `repository`. */
  async function pushBlobs(repository: string): Promise<void> {
    for (const blob of [BLOB_E, BLOB_T, sbomLayer]) {
      await client.pushBlob(repository, blob);
    }
  }

  /** An artifact manifest: empty config, one layer, `artifactType`, and `subject`. */
  function artifact(
    artifactType: string,
    subject: { digest: string; size: number; mediaType?: string },
  ): string {
    return JSON.stringify(
      imageManifest(EMPTY_DESCRIPTOR, [descriptorOf(sbomLayer, artifactType)], {
        artifactType,
        subject: { mediaType: OCI_MANIFEST, ...subject },
      }),
    );
  }

  /** An image manifest that is not pushed yet, distinguished by `label`. */
  function unpushedImage(label: string): string {
    return JSON.stringify(
      imageManifest(EMPTY_DESCRIPTOR, [{ digest: DIGEST_T, size: 5 }], { annotations: { label } }),
    );
  }

  function putManifest(
    repository: string,
    reference: string,
    body: string,
    mediaType = OCI_MANIFEST,
  ): Promise<Response> {
    return client.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'Content-Type': mediaType },
      body,
    });
  }

  async function listReferrers(
    repository: string,
    subject: string,
    query = '',
  ): Promise<{ response: Response; index: ReferrersIndex }> {
    const response = await client.request('GET', `/v2/${repository}/referrers/${subject}${query}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), OCI_INDEX);
    const index = (await response.json()) as ReferrersIndex;
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, OCI_INDEX);
    return { response, index };
  }

  describe('PUT /v2/:name/manifests/:reference with a subject', () => {
    it('F11: accepts a referrer whose subject was never pushed, and lists it', async () => {
      await pushBlobs('team/app');
      const image = unpushedImage('f11');
      const imageDigest = sha256(image);
      const sbom = artifact('application/spdx+json', { digest: imageDigest, size: 1024 });

      const put = await putManifest('team/app', sha256(sbom), sbom);
      assert.equal(put.status, 201, await put.text());
      assert.ok(put.headers.get('location'));
      assert.equal(put.headers.get('docker-content-digest'), sha256(sbom));
      assert.equal(put.headers.get('oci-subject'), imageDigest);

      const listed = await listReferrers('team/app', imageDigest);
      assert.deepEqual(listed.index.manifests, [
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(sbom),
          size: Buffer.byteLength(sbom),
          artifactType: 'application/spdx+json',
        },
      ]);

      await client.pushManifest('team/app', imageDigest, image);
      const afterPush = await listReferrers('team/app', imageDigest);
      assert.deepEqual(afterPush.index, listed.index);
    });

    it('F11: accepts a referrer pushed by tag and an index referrer whose subject is missing', async () => {
      await pushBlobs('team/app');
      const subject = sha256(unpushedImage('f11-tag'));
      const byTag = artifact('application/vnd.example.sbom.v1', { digest: subject, size: 10 });
      const index = JSON.stringify(
        imageIndex([], {
          artifactType: 'application/vnd.example.bundle.v1',
          subject: { mediaType: OCI_MANIFEST, digest: subject, size: 10 },
        }),
      );

      const tagged = await putManifest('team/app', 'sbom-f11', byTag);
      const indexed = await putManifest('team/app', sha256(index), index, OCI_INDEX);

      assert.equal(tagged.status, 201, await tagged.text());
      assert.equal(indexed.status, 201, await indexed.text());
      const { index: referrers } = await listReferrers('team/app', subject);
      assert.deepEqual(
        referrers.manifests.map((entry) => entry.digest).sort(),
        [sha256(byTag), sha256(index)].sort(),
      );
    });

    it('F11: accepts a subject and its referrers pushed in parallel, as copy tools do', async () => {
      await pushBlobs('team/copied');
      const image = unpushedImage('f11-parallel');
      const subject = descriptorOf(image);
      const referrers = Array.from({ length: 24 }, (_, index) =>
        artifact(`application/vnd.example.kind${index}.v1`, subject),
      );

      const answers = await Promise.all([
        putManifest('team/copied', subject.digest, image),
        ...referrers.map((body) => putManifest('team/copied', sha256(body), body)),
      ]);

      assert.deepEqual(
        answers.map((answer) => answer.status),
        answers.map(() => 201),
      );
      const { index } = await listReferrers('team/copied', subject.digest);
      assert.deepEqual(
        index.manifests.map((entry) => entry.digest).sort(),
        referrers.map((body) => sha256(body)).sort(),
      );
    });

    it('F11: rejects a manifest whose layer or config is missing with MANIFEST_BLOB_UNKNOWN, never 500', async () => {
      await pushBlobs('team/app');
      const missing = sha256('never uploaded');
      const bodies = [
        imageManifest(EMPTY_DESCRIPTOR, [{ digest: missing, size: 14 }]),
        imageManifest({ digest: missing, size: 14 }, [{ digest: DIGEST_T, size: 5 }]),
        imageManifest(EMPTY_DESCRIPTOR, [{ digest: missing, size: 14 }], {
          subject: { mediaType: OCI_MANIFEST, digest: sha256('no subject'), size: 3 },
        }),
      ];
      for (const body of bodies) {
        const put = await putManifest('team/app', 'broken', JSON.stringify(body));

        assert.ok([400, 404].includes(put.status), `status ${put.status}`);
        await assertOciError(put, put.status, 'MANIFEST_BLOB_UNKNOWN');
      }
    });

    it('F12: answers a referrer push with OCI-Subject naming the subject digest', async () => {
      await pushBlobs('team/signed');
      const imageDigest = await client.pushManifest(
        'team/signed',
        'v1',
        imageManifest(EMPTY_DESCRIPTOR, [{ digest: DIGEST_T, size: 5 }]),
      );
      const imageSize = (await client.request('HEAD', '/v2/team/signed/manifests/v1')).headers.get(
        'content-length',
      );
      const signature = artifact('application/vnd.example.sig.v1', {
        digest: imageDigest,
        size: Number(imageSize),
      });

      const put = await putManifest('team/signed', sha256(signature), signature);
      assert.equal(put.status, 201, await put.text());
      assert.ok(put.headers.get('location'));
      assert.equal(put.headers.get('oci-subject'), imageDigest);

      const again = await putManifest('team/signed', sha256(signature), signature);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('oci-subject'), imageDigest);

      const { index } = await listReferrers('team/signed', imageDigest);
      assert.deepEqual(
        index.manifests.map((entry) => entry.digest),
        [sha256(signature)],
      );
      const tags = await client.request('GET', '/v2/team/signed/tags/list');
      assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['v1']);
    });

    it('F12: answers an index referrer push with OCI-Subject too', async () => {
      await pushBlobs('team/signed');
      const imageDigest = await client.pushManifest(
        'team/signed',
        'v2',
        imageManifest(EMPTY_DESCRIPTOR, [{ digest: DIGEST_E, size: 2 }]),
      );
      const index = JSON.stringify(
        imageIndex([], { subject: { mediaType: OCI_MANIFEST, digest: imageDigest, size: 10 } }),
      );

      const put = await putManifest('team/signed', sha256(index), index, OCI_INDEX);

      assert.equal(put.status, 201, await put.text());
      assert.equal(put.headers.get('oci-subject'), imageDigest);
    });
  });

  describe('GET /v2/:name/referrers/:digest', () => {
    const SBOM = 'application/vnd.example.sbom.v1';
    const SIG = 'application/vnd.example.sig.v1';
    let imageDigest: string;
    let sbomDigest: string;
    let sigDigest: string;

    before(async () => {
      await pushBlobs('team/filtered');
      imageDigest = await client.pushManifest(
        'team/filtered',
        'v1',
        imageManifest(EMPTY_DESCRIPTOR, [{ digest: DIGEST_T, size: 5 }]),
      );
      sbomDigest = await client.pushManifest(
        'team/filtered',
        'sbom',
        artifact(SBOM, { digest: imageDigest, size: 10 }),
      );
      sigDigest = await client.pushManifest(
        'team/filtered',
        'sig',
        artifact(SIG, { digest: imageDigest, size: 10 }),
      );
    });

    it('F13: filters by artifactType and says so with OCI-Filters-Applied', async () => {
      const { response, index } = await listReferrers(
        'team/filtered',
        imageDigest,
        `?artifactType=${SBOM}`,
      );

      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(
        index.manifests.map((entry) => entry.digest),
        [sbomDigest],
      );
      assert.equal(index.manifests[0]!.artifactType, SBOM);
    });

    it('F13: keeps referrers of every artifactType given when the parameter repeats', async () => {
      const { response, index } = await listReferrers(
        'team/filtered',
        imageDigest,
        `?artifactType=${SBOM}&artifactType=${SIG}`,
      );

      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(
        index.manifests.map((entry) => entry.digest).sort(),
        [sbomDigest, sigDigest].sort(),
      );
    });

    it('F13: lists every referrer without OCI-Filters-Applied when not filtered', async () => {
      const { response, index } = await listReferrers('team/filtered', imageDigest);

      assert.equal(response.headers.get('oci-filters-applied'), null);
      assert.deepEqual(
        index.manifests.map((entry) => entry.digest).sort(),
        [sbomDigest, sigDigest].sort(),
      );
    });

    it('F13: answers a filter that matches nothing with an empty list and OCI-Filters-Applied', async () => {
      const { response, index } = await listReferrers(
        'team/filtered',
        imageDigest,
        '?artifactType=application/vnd.example.none',
      );

      assert.equal(response.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(index.manifests, []);
    });

    it('F13: filters on config.mediaType for referrers without artifactType', async () => {
      const configType = 'application/vnd.example.config.v1+json';
      const subject = sha256('a subject of a referrer without artifactType');
      const body = JSON.stringify(
        imageManifest(
          { mediaType: configType, digest: DIGEST_E, size: 2 },
          [{ digest: DIGEST_T, size: 5 }],
          {
            subject: { mediaType: OCI_MANIFEST, digest: subject, size: 10 },
          },
        ),
      );
      await client.pushManifest('team/filtered', 'configured', body);

      const { index } = await listReferrers(
        'team/filtered',
        subject,
        `?artifactType=${encodeURIComponent(configType)}`,
      );

      assert.deepEqual(
        index.manifests.map((entry) => [entry.digest, entry.artifactType]),
        [[sha256(body), configType]],
      );
    });

    it('F13: answers a digest without referrers with 200 and an empty list', async () => {
      const { index } = await listReferrers('team/filtered', sha256('nothing refers to this'));

      assert.deepEqual(index.manifests, []);
    });

    it('F13: answers a malformed digest with 400', async () => {
      const response = await client.request('GET', '/v2/team/filtered/referrers/not-a-digest');

      assert.equal(response.status, 400);
      await readOciErrors(response);
    });
  });
});
