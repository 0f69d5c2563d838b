import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { digestOf } from '../digest';
import { ManifestInvalidError } from '../errors';
import { MediaType } from '../media-types';
import { parseManifest } from './parse-manifest';

const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

function digestNamed(seed: string): string {
  return digestOf(Buffer.from(seed));
}

function aDescriptor(seed: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: LAYER_TYPE, digest: digestNamed(seed), size: seed.length, ...fields };
}

function anImageManifest(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: aDescriptor('config', { mediaType: CONFIG_TYPE }),
    layers: [aDescriptor('layer 1'), aDescriptor('layer 2')],
    ...fields,
  };
}

function anIndex(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      aDescriptor('amd64', { mediaType: MediaType.OciManifest, platform: { os: 'linux' } }),
      aDescriptor('arm64', { mediaType: MediaType.OciManifest }),
    ],
    ...fields,
  };
}

function bytes(document: unknown): Buffer {
  return Buffer.from(JSON.stringify(document));
}

describe(parseManifest.name, () => {
  describe('image manifests', () => {
    it('identifies the manifest by the digest and size of the exact bytes', () => {
      const content = Buffer.from(JSON.stringify(anImageManifest(), null, 3));
      const manifest = parseManifest(content, MediaType.OciManifest);
      assert.equal(manifest.digest, digestOf(content));
      assert.equal(manifest.size, content.length);
      assert.equal(manifest.mediaType, MediaType.OciManifest);
    });

    it('requires the config and every layer as blobs of the repository', () => {
      const manifest = parseManifest(bytes(anImageManifest()), MediaType.OciManifest);
      assert.deepEqual(
        manifest.blobs.map((blob) => blob.digest),
        [digestNamed('config'), digestNamed('layer 1'), digestNamed('layer 2')],
      );
      assert.deepEqual(manifest.manifests, []);
    });

    it('accepts a manifest without layers', () => {
      const manifest = parseManifest(bytes(anImageManifest({ layers: [] })), undefined);
      assert.deepEqual(
        manifest.blobs.map((blob) => blob.digest),
        [digestNamed('config')],
      );
    });

    it('accepts config and layer media types it does not know', () => {
      const document = anImageManifest({
        config: aDescriptor('config', { mediaType: 'application/vnd.example.config' }),
        layers: [aDescriptor('chart', { mediaType: 'application/vnd.example.chart.tar' })],
      });
      assert.equal(parseManifest(bytes(document), undefined).blobs.length, 2);
    });

    it('accepts Docker schema 2 manifests', () => {
      const document = anImageManifest({ mediaType: MediaType.DockerManifest });
      const manifest = parseManifest(bytes(document), MediaType.DockerManifest);
      assert.equal(manifest.mediaType, MediaType.DockerManifest);
    });

    it('takes the artifact type from the config media type when the manifest names none', () => {
      const manifest = parseManifest(bytes(anImageManifest()), undefined);
      assert.equal(manifest.artifactType, CONFIG_TYPE);
    });

    it('keeps an explicit artifact type over the config media type', () => {
      const document = anImageManifest({ artifactType: 'application/vnd.example.sbom' });
      assert.equal(
        parseManifest(bytes(document), undefined).artifactType,
        'application/vnd.example.sbom',
      );
    });

    it('reads the subject and annotations for the referrers API', () => {
      const subject = aDescriptor('subject', { mediaType: MediaType.OciManifest });
      const document = anImageManifest({ subject, annotations: { 'org.example.kind': 'sbom' } });
      const manifest = parseManifest(bytes(document), undefined);
      assert.equal(manifest.subject?.digest, digestNamed('subject'));
      assert.deepEqual(manifest.annotations, { 'org.example.kind': 'sbom' });
    });

    it('keeps annotations in any script, characters outside the BMP included', () => {
      const annotations = { 'org.example.title': 'Grüße, 世界 🌊' };
      const manifest = parseManifest(bytes(anImageManifest({ annotations })), undefined);
      assert.deepEqual(manifest.annotations, annotations);
    });

    it('does not require the subject as a blob', () => {
      const subject = aDescriptor('subject', { mediaType: MediaType.OciManifest });
      const manifest = parseManifest(bytes(anImageManifest({ subject })), undefined);
      assert.ok(!manifest.blobs.some((blob) => blob.digest === digestNamed('subject')));
    });

    it('does not require foreign layers that are fetched from their urls', () => {
      const foreign = aDescriptor('windows base', {
        mediaType: MediaType.DockerForeignLayer,
        urls: ['https://example.com/base.tar.gz'],
      });
      const document = anImageManifest({ mediaType: MediaType.DockerManifest, layers: [foreign] });
      const manifest = parseManifest(bytes(document), undefined);
      assert.deepEqual(
        manifest.blobs.map((blob) => blob.digest),
        [digestNamed('config')],
      );
    });

    it('requires a foreign layer that has no urls like any other layer', () => {
      const foreign = aDescriptor('windows base', { mediaType: MediaType.DockerForeignLayer });
      const manifest = parseManifest(bytes(anImageManifest({ layers: [foreign] })), undefined);
      assert.equal(manifest.blobs.length, 2);
    });
  });

  describe('indexes', () => {
    it('lists the child manifests and requires no blobs', () => {
      const manifest = parseManifest(bytes(anIndex()), MediaType.OciIndex);
      assert.equal(manifest.mediaType, MediaType.OciIndex);
      assert.deepEqual(
        manifest.manifests.map((child) => child.digest),
        [digestNamed('amd64'), digestNamed('arm64')],
      );
      assert.deepEqual(manifest.blobs, []);
    });

    it('accepts Docker manifest lists', () => {
      const document = anIndex({ mediaType: MediaType.DockerManifestList });
      const manifest = parseManifest(bytes(document), MediaType.DockerManifestList);
      assert.equal(manifest.mediaType, MediaType.DockerManifestList);
    });

    it('accepts an empty index', () => {
      assert.deepEqual(parseManifest(bytes(anIndex({ manifests: [] })), undefined).manifests, []);
    });
  });

  describe('media type', () => {
    const cases: [string, Record<string, unknown>, string | undefined, string][] = [
      [
        'takes the Content-Type when the body names no media type',
        anImageManifest({ mediaType: undefined }),
        MediaType.OciManifest,
        MediaType.OciManifest,
      ],
      [
        'takes the body media type when there is no Content-Type',
        anIndex(),
        undefined,
        MediaType.OciIndex,
      ],
      [
        'takes the body media type when the Content-Type is application/octet-stream',
        anIndex(),
        'application/octet-stream',
        MediaType.OciIndex,
      ],
      [
        'ignores Content-Type parameters and case',
        anImageManifest(),
        'Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8',
        MediaType.OciManifest,
      ],
    ];
    for (const [behaviour, document, contentType, expected] of cases) {
      it(behaviour, () => {
        assert.equal(parseManifest(bytes(document), contentType).mediaType, expected);
      });
    }
  });

  describe('refusals', () => {
    const image = MediaType.OciManifest;
    const cases: [string, Buffer, string | undefined, string | undefined][] = [
      ['truncated JSON', bytes(anImageManifest()).subarray(0, 40), image, undefined],
      ['bytes that are not JSON', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), image, undefined],
      ['an empty body', Buffer.alloc(0), image, undefined],
      [
        'JSON whose bytes are not UTF-8',
        Buffer.concat([
          bytes(anImageManifest()).subarray(0, -1),
          Buffer.from(',"x":"\xff"}', 'latin1'),
        ]),
        image,
        undefined,
      ],
      [
        'an escaped U+0000 in a string',
        bytes(anImageManifest({ annotations: { note: 'a\u0000b' } })),
        image,
        undefined,
      ],
      [
        'an escaped U+0000 in a name',
        bytes(anImageManifest({ annotations: { 'note\u0000': 'b' } })),
        image,
        undefined,
      ],
      [
        'an unpaired surrogate in a string',
        bytes(anImageManifest({ annotations: { note: 'a\ud800' } })),
        image,
        undefined,
      ],
      ['a JSON array', bytes([anImageManifest()]), image, '$'],
      ['a JSON string', bytes('manifest'), image, '$'],
      ['a JSON number', bytes(2), image, '$'],
      ['JSON null', bytes(null), image, '$'],
      [
        'a missing schemaVersion',
        bytes(anImageManifest({ schemaVersion: undefined })),
        image,
        'schemaVersion',
      ],
      ['schemaVersion 3', bytes(anImageManifest({ schemaVersion: 3 })), image, 'schemaVersion'],
      [
        'schemaVersion as a string',
        bytes(anImageManifest({ schemaVersion: '2' })),
        image,
        'schemaVersion',
      ],
      [
        'a schema 1 manifest',
        bytes({ schemaVersion: 1, name: 'a', tag: 'b', fsLayers: [], history: [] }),
        MediaType.DockerSchema1Signed,
        'schemaVersion',
      ],
      [
        'a schema 1 body under a schema 2 type',
        bytes({ schemaVersion: 1, fsLayers: [] }),
        image,
        'schemaVersion',
      ],
      [
        'a schema 1 Content-Type',
        bytes(anImageManifest()),
        MediaType.DockerSchema1,
        'schemaVersion',
      ],
      ['a body media type contradicting the Content-Type', bytes(anIndex()), image, 'mediaType'],
      [
        'a body media type that is not a string',
        bytes(anImageManifest({ mediaType: 7 })),
        image,
        'mediaType',
      ],
      [
        'no media type in the body or the Content-Type',
        bytes(anImageManifest({ mediaType: undefined })),
        undefined,
        'mediaType',
      ],
      [
        'a media type that is not a manifest',
        bytes(anImageManifest({ mediaType: undefined })),
        'application/vnd.oci.image.config.v1+json',
        'mediaType',
      ],
      ['a missing config', bytes(anImageManifest({ config: undefined })), image, 'config'],
      ['layers that are not an array', bytes(anImageManifest({ layers: {} })), image, 'layers'],
      ['missing layers', bytes(anImageManifest({ layers: undefined })), image, 'layers'],
      [
        'a layer with a malformed digest',
        bytes(anImageManifest({ layers: [aDescriptor('x', { digest: 'sha256:xyz' })] })),
        image,
        'layers[0].digest',
      ],
      [
        'a layer with a negative size',
        bytes(anImageManifest({ layers: [aDescriptor('x'), aDescriptor('y', { size: -1 })] })),
        image,
        'layers[1].size',
      ],
      [
        'a config with a malformed digest',
        bytes(anImageManifest({ config: aDescriptor('x', { digest: 'md5:00' }) })),
        image,
        'config.digest',
      ],
      [
        'index manifests that are not an array',
        bytes(anIndex({ manifests: 'all' })),
        MediaType.OciIndex,
        'manifests',
      ],
      [
        'an index child with a malformed digest',
        bytes(anIndex({ manifests: [aDescriptor('x', { digest: 'sha256' })] })),
        MediaType.OciIndex,
        'manifests[0].digest',
      ],
      [
        'a subject with a malformed digest',
        bytes(anImageManifest({ subject: aDescriptor('x', { digest: 'sha256:' }) })),
        image,
        'subject.digest',
      ],
      [
        'a malformed artifactType',
        bytes(anImageManifest({ artifactType: 'sbom' })),
        image,
        'artifactType',
      ],
      [
        'annotations that are not strings',
        bytes(anImageManifest({ annotations: { a: true } })),
        image,
        '$.annotations',
      ],
    ];
    for (const [label, content, contentType, field] of cases) {
      it(`refuses ${label} with MANIFEST_INVALID${field === undefined ? '' : ` naming ${field}`}`, () => {
        assert.throws(
          () => parseManifest(content, contentType),
          (error: unknown) => {
            assert.ok(error instanceof ManifestInvalidError);
            assert.equal(error.status, 400);
            assert.equal((error.detail as { field?: string }).field, field);
            return true;
          },
        );
      });
    }
  });
});
