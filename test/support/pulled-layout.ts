import { strict as assert } from 'node:assert';
import { readLayout, type ContentDescriptor, type OciLayoutBuilder } from './oci-layout';

/**
 * Asserts that the image layout a client pulled into `dir` names `pushed` (an image or an
 * index built in `source`) and holds every blob it reaches, each file's sha256 computed from
 * its bytes: nothing missing, nothing extra, nothing changed on the way. index.json may name
 * more than `pushed`, but only what `pushed` reaches (oras lists an index's children there).
 */
export async function assertPulledLayout(
  dir: string,
  source: OciLayoutBuilder,
  pushed: ContentDescriptor,
): Promise<void> {
  const contents = await readLayout(dir);
  const reachable = await source.digestsReachableFrom(pushed);
  const named = contents.manifests.map((manifest) => manifest.digest);
  assert.ok(named.includes(pushed.digest), `index.json names ${named.join(', ')}`);
  assert.deepEqual(
    named.filter((digest) => !reachable.includes(digest)),
    [],
  );
  assert.deepEqual(contents.blobDigests, reachable);
}
