import type { ChunkRef } from './storage-driver';

/** `size` bytes of the object at `key`, from byte `start` of it. */
export interface ChunkSlice {
  readonly key: string;
  readonly start: number;
  readonly size: number;
}

/**
 * One part of a multipart upload: a server-side copy of a slice of one chunk, or an upload
 * whose body streams several slices one after another.
 */
export type PlannedPart =
  | { readonly kind: 'copy'; readonly slice: ChunkSlice }
  | { readonly kind: 'upload'; readonly slices: readonly ChunkSlice[]; readonly size: number };

/** The rules a multipart upload must keep. */
export interface PartLimits {
  /** Smallest size of every part but the last (S3: 5 MiB). */
  readonly minimumPartSize: number;
  /** Size to aim for; the largest a part may be. */
  readonly partSize: number;
  /** Most parts one upload may have (S3: 10,000). */
  readonly maxParts: number;
}

/**
 * Returns the parts that make one object of `chunks`, in order. A stretch of a chunk at
 * least `minimumPartSize` long is copied server-side, in pieces of at most `partSize`
 * (which is what lets a blob grow past S3's 5 GiB copy limit, field case F05). Bytes that
 * cannot stand alone as a part — small chunks, the tail of a large one — are streamed
 * together into uploaded parts of at most `partSize`; a run that is still too small when a
 * copyable stretch follows borrows just enough of that stretch's head to reach the
 * minimum, so as few bytes as possible travel through the registry.
 *
 * Every part but the last is at least `minimumPartSize` and every part at most `partSize`.
 * Chunks of size 0 contribute nothing. When copying would take more than `maxParts` parts
 * (every chunk a copy part of its own, say 20,000 chunks of 6 MiB), all bytes are streamed
 * in parts of `partSize` instead: slower, but the object can still be made. Throws when even
 * that exceeds `maxParts`, which a `partSize` of at least size / `maxParts` rules out.
 */
export function planParts(chunks: readonly ChunkRef[], limits: PartLimits): PlannedPart[] {
  const copying = planWith(chunks, limits, limits.minimumPartSize);
  if (copying.length <= limits.maxParts) {
    return copying;
  }
  const streaming = planWith(chunks, limits, Infinity);
  if (streaming.length > limits.maxParts) {
    throw new Error(
      `s3: ${chunks.length} chunks need ${streaming.length} parts, more than the ${limits.maxParts} a multipart upload may have`,
    );
  }
  return streaming;
}

/** Plans the parts, copying any stretch of a chunk at least `copyFrom` bytes long. */
function planWith(
  chunks: readonly ChunkRef[],
  limits: PartLimits,
  copyFrom: number,
): PlannedPart[] {
  const { minimumPartSize, partSize } = limits;
  const parts: PlannedPart[] = [];
  let pending: ChunkSlice[] = [];
  let pendingSize = 0;
  const flush = (): void => {
    if (pendingSize > 0) {
      parts.push({ kind: 'upload', slices: pending, size: pendingSize });
      pending = [];
      pendingSize = 0;
    }
  };

  for (const chunk of chunks) {
    let position = 0;
    while (position < chunk.size) {
      const rest = chunk.size - position;
      const canCopy = rest >= copyFrom;
      if (canCopy && pendingSize >= minimumPartSize) {
        flush();
      }
      if (canCopy && pendingSize === 0) {
        const size = Math.min(rest, partSize);
        parts.push({ kind: 'copy', slice: { key: chunk.key, start: position, size } });
        position += size;
        continue;
      }
      // Here pendingSize < partSize, so there is always room for at least one byte.
      const room = canCopy ? minimumPartSize - pendingSize : partSize - pendingSize;
      const size = Math.min(rest, room);
      pending.push({ key: chunk.key, start: position, size });
      pendingSize += size;
      position += size;
      if (pendingSize >= partSize) {
        flush();
      }
    }
  }
  flush();
  return parts;
}
