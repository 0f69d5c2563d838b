import {
  RegistryClients,
  sha256OfFile,
  startTestRegistry,
  type ContentDescriptor,
  type TestRegistry,
} from '@tidemark/testing';
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

// A tiny chart written here, packaged by helm, pushed to the registry as an OCI artifact
// (helm's own media types, and a manifest without a mediaType field) and pulled back.
// helm prints what it pushed and pulled on stderr (`Digest: sha256:…`). The tests run in
// order and build on one another.

const CHART = 'tiny';
const VERSION = '0.1.0';
const NAMESPACE = 'e2e/charts';
const CHART_LAYER_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const CHART_CONFIG_TYPE = 'application/vnd.cncf.helm.config.v1+json';

describe('a helm chart pushed to and pulled from the registry', () => {
  let registry: TestRegistry;
  let clients: RegistryClients;
  let workDir: string;
  let archive: string;
  let pushedDigest: string;

  before(async () => {
    registry = await startTestRegistry();
    clients = await RegistryClients.create(registry.host);
    workDir = await mkdtemp(join(tmpdir(), 'tidemark-helm-'));
    const chartDir = await writeChart(join(workDir, 'chart'));
    await clients.helm('package', chartDir, '--destination', workDir);
    archive = join(workDir, `${CHART}-${VERSION}.tgz`);
  });

  after(async () => {
    await clients.remove();
    await rm(workDir, { recursive: true, force: true });
    await registry.close();
  });

  const reference = (): string => `${registry.host}/${NAMESPACE}/${CHART}:${VERSION}`;

  describe('helm push', () => {
    it('stores the chart under its version; the registry serves the digest helm reports', async () => {
      const { stderr } = await clients.helm('push', archive, `oci://${registry.host}/${NAMESPACE}`);

      pushedDigest = reportedDigest(stderr);
      const { stdout } = await clients.crane('digest', reference());
      assert.equal(stdout.trim(), pushedDigest);
    });

    it('stores the packaged archive, unchanged, as the chart layer', async () => {
      const { stdout } = await clients.crane('manifest', reference());

      const manifest = JSON.parse(stdout) as {
        config: ContentDescriptor;
        layers: ContentDescriptor[];
      };
      assert.equal(manifest.config.mediaType, CHART_CONFIG_TYPE);
      assert.deepEqual(
        manifest.layers.map(({ mediaType, digest }) => ({ mediaType, digest })),
        [{ mediaType: CHART_LAYER_TYPE, digest: await sha256OfFile(archive) }],
      );
    });
  });

  describe('helm pull', () => {
    it('brings the archive back byte for byte, from the digest pushed', async () => {
      const pulled = join(workDir, 'pulled');
      await mkdir(pulled);

      const { stderr } = await clients.helm(
        'pull',
        `oci://${registry.host}/${NAMESPACE}/${CHART}`,
        '--version',
        VERSION,
        '--destination',
        pulled,
      );

      assert.equal(reportedDigest(stderr), pushedDigest);
      const pulledArchive = join(pulled, `${CHART}-${VERSION}.tgz`);
      assert.equal(await sha256OfFile(pulledArchive), await sha256OfFile(archive));
    });
  });
});

/** Writes a chart of one ConfigMap template into `dir` and returns the chart's directory. */
async function writeChart(dir: string): Promise<string> {
  const chartDir = join(dir, CHART);
  await mkdir(join(chartDir, 'templates'), { recursive: true });
  const chart = [
    'apiVersion: v2',
    `name: ${CHART}`,
    `version: ${VERSION}`,
    'description: A chart written by Tidemark end-to-end tests',
  ];
  const configMap = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-greeting',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
  ];
  await writeFile(join(chartDir, 'Chart.yaml'), `${chart.join('\n')}\n`);
  await writeFile(join(chartDir, 'values.yaml'), 'greeting: hello\n');
  await writeFile(join(chartDir, 'templates', 'greeting.yaml'), `${configMap.join('\n')}\n`);
  return chartDir;
}

/** Returns the digest in helm's `Digest: sha256:…` line. */
function reportedDigest(output: string): string {
  const match = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(output);
  assert.ok(match, `no digest in helm's output:\n${output}`);
  return match[1]!;
}
