import { registryEvent, type EventOf } from '@tidemark/events';
import type { ParsedManifest } from '@tidemark/oci';

/**
 * Builds ManifestPushed: the bytes, and everything the manifest references, so that garbage
 * collection and the referrers API work from the log alone.
 */
export function manifestPushedEvent(
  repository: string,
  manifest: ParsedManifest,
  content: Buffer,
): EventOf<'ManifestPushed'> {
  const references = [
    ...manifest.blobs.map((blob) => ({ digest: blob.digest, kind: 'blob' as const })),
    ...manifest.manifests.map((child) => ({ digest: child.digest, kind: 'manifest' as const })),
    ...(manifest.subject ? [{ digest: manifest.subject.digest, kind: 'subject' as const }] : []),
  ];
  return registryEvent('ManifestPushed', {
    repository,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    size: manifest.size,
    content: content.toString('base64'),
    references: dedupe(references),
    ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  });
}

function dedupe<T extends { digest: string; kind: string }>(references: T[]): T[] {
  const seen = new Set<string>();
  return references.filter((reference) => {
    const key = `${reference.kind} ${reference.digest}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
