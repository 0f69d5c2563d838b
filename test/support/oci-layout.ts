import { MediaType } from '@tidemark/oci';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { sha256 } from './oci-client';

/** Media types of the content an image layout holds besides manifests and indexes. */
export const LayoutMediaType = {
  Config: 'application/vnd.oci.image.config.v1+json',
  Layer: 'application/vnd.oci.image.layer.v1.tar',
  GzipLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** A platform, as an index names it for each of its manifests. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An OCI content descriptor, as manifests and `index.json` carry it. */
export interface ContentDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

/** A file to put into a layer: its path inside the image and its bytes. */
export interface LayerFile {
  readonly path: string;
  readonly content: Buffer | string;
}

/** A layer blob in a layout, with the digest of its uncompressed tar (the config's diff id). */
export interface Layer {
  readonly descriptor: ContentDescriptor;
  readonly diffId: string;
}

/** What `addImage` builds: the layers, and the platform the config names (linux/amd64). */
export interface ImageOptions {
  readonly layers: readonly Layer[];
  readonly platform?: Platform;
  readonly annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const TAR_BLOCK = 512;
const RANDOM_PIECE_BYTES = 8 * 1024 * 1024;
const randomBytesAsync = promisify(randomBytes);

/**
 * Writes an OCI image layout (image-spec, image-layout.md) into a directory, as a build tool
 * would: blobs under `blobs/sha256/`, and `index.json` naming the tagged manifests through
 * `org.opencontainers.image.ref.name`, which `oci:<dir>:<tag>` and `ocidir://<dir>:<tag>`
 * resolve. Everything but `moveLayerFile`'s input is deterministic: the same calls give the
 * same digests.
 */
export class OciLayoutBuilder {
  private readonly tagged: ContentDescriptor[] = [];

  private constructor(readonly dir: string) {}

  /** Starts an empty layout in `dir`, creating the directory when missing. */
  static async create(dir: string): Promise<OciLayoutBuilder> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const layout = new OciLayoutBuilder(dir);
    await layout.writeIndex();
    return layout;
  }

  /** Returns the path of a blob's file in the layout. */
  blobPath(digest: string): string {
    const [algorithm, encoded] = digest.split(':') as [string, string];
    return join(this.dir, 'blobs', algorithm, encoded);
  }

  /** Stores `content` as a blob and returns its descriptor. Idempotent. */
  async addBlob(content: Buffer | string, mediaType: string): Promise<ContentDescriptor> {
    const bytes = Buffer.from(content);
    const descriptor = { mediaType, digest: sha256(bytes), size: bytes.length };
    await writeFile(this.blobPath(descriptor.digest), bytes);
    return descriptor;
  }

  /** Tars `files` into a layer blob, gzipped when asked, and returns the layer. */
  async addLayer(
    files: readonly LayerFile[],
    options: { isGzipped?: boolean } = {},
  ): Promise<Layer> {
    const tar = tarArchive(files);
    const descriptor = options.isGzipped
      ? await this.addBlob(gzipSync(tar), LayoutMediaType.GzipLayer)
      : await this.addBlob(tar, LayoutMediaType.Layer);
    return { descriptor, diffId: sha256(tar) };
  }

  /** Moves an uncompressed tar (see `writeRandomLayer`) into the layout as a layer. */
  async moveLayerFile(path: string): Promise<Layer> {
    const digest = await sha256OfFile(path);
    const { size } = await stat(path);
    await rename(path, this.blobPath(digest));
    return { descriptor: { mediaType: LayoutMediaType.Layer, digest, size }, diffId: digest };
  }

  /** Writes an image's config and manifest; returns the manifest's descriptor and platform. */
  async addImage(options: ImageOptions): Promise<ContentDescriptor> {
    const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
    const diffIds = options.layers.map((layer) => layer.diffId);
    const configJson = JSON.stringify({
      ...platform,
      rootfs: { type: 'layers', diff_ids: diffIds },
    });
    const config = await this.addBlob(configJson, LayoutMediaType.Config);
    const manifest = await this.addJson({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config,
      layers: options.layers.map((layer) => layer.descriptor),
      ...(options.annotations && { annotations: options.annotations }),
    });
    return { ...manifest, platform };
  }

  /** Writes an image index of `manifests` and returns its descriptor. */
  async addIndex(manifests: readonly ContentDescriptor[]): Promise<ContentDescriptor> {
    return this.addJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
  }

  /**
   * Returns the digests of a manifest and of everything it names: config and layers, or for
   * an index its manifests and theirs. Sorted, so it compares with `readLayout`'s blobs.
   */
  async digestsReachableFrom(descriptor: ContentDescriptor): Promise<string[]> {
    const document = JSON.parse(await readFile(this.blobPath(descriptor.digest), 'utf8')) as {
      config?: ContentDescriptor;
      layers?: ContentDescriptor[];
      manifests?: ContentDescriptor[];
    };
    const blobs = [document.config, ...(document.layers ?? [])].filter(
      (blob) => blob !== undefined,
    );
    const children = await Promise.all(
      (document.manifests ?? []).map((child) => this.digestsReachableFrom(child)),
    );
    const digests = [descriptor.digest, ...blobs.map((blob) => blob.digest), ...children.flat()];
    return [...new Set(digests)].sort();
  }

  /** Names `descriptor` `tag` in index.json. */
  async tag(descriptor: ContentDescriptor, tag: string): Promise<void> {
    this.tagged.push({
      ...descriptor,
      annotations: { ...descriptor.annotations, [REF_NAME]: tag },
    });
    await this.writeIndex();
  }

  private async addJson(document: {
    mediaType: string;
    [field: string]: unknown;
  }): Promise<ContentDescriptor> {
    return this.addBlob(JSON.stringify(document), document.mediaType);
  }

  private async writeIndex(): Promise<void> {
    const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: this.tagged };
    await writeFile(join(this.dir, 'index.json'), JSON.stringify(index));
  }
}

/** What an image layout on disk holds, as a client wrote it. */
export interface LayoutContents {
  /** The descriptors of index.json. */
  readonly manifests: readonly ContentDescriptor[];
  /** The sha256 of every file under `blobs/sha256/`, computed from its bytes, sorted. */
  readonly blobDigests: readonly string[];
}

/**
 * Reads the image layout in `dir`, hashing every blob, so that a test can compare what a
 * client pulled with what was pushed without trusting the file names.
 */
export async function readLayout(dir: string): Promise<LayoutContents> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: ContentDescriptor[];
  };
  const blobDir = join(dir, 'blobs', 'sha256');
  const files = await readdir(blobDir);
  const blobDigests = await Promise.all(files.map((file) => sha256OfFile(join(blobDir, file))));
  return { manifests: index.manifests, blobDigests: blobDigests.sort() };
}

/** Returns the `sha256:<hex>` digest of a file's bytes, read as a stream. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

/** Returns `size` pseudo-random bytes that depend only on `seed` (AES-256-CTR over zeroes). */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/**
 * Returns a ustar archive of `files`, preceded by entries for their parent directories, all
 * owned by root and dated 1970-01-01, so equal input gives equal bytes.
 */
export function tarArchive(files: readonly LayerFile[]): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const directories = parentsOf(file.path).filter((directory) => !seen.has(directory));
    directories.forEach((directory) => seen.add(directory));
    parts.push(...directories.map((directory) => tarHeader(`${directory}/`, 0, 'directory')));
    const content = Buffer.from(file.content);
    parts.push(tarHeader(file.path, content.length, 'file'), content, tarPadding(content.length));
  }
  parts.push(Buffer.alloc(2 * TAR_BLOCK));
  return Buffer.concat(parts);
}

/**
 * Writes to `path` an uncompressed tar layer holding one file, `entry`, of `size` random
 * (incompressible) bytes, generated in 8 MiB pieces so memory stays flat.
 */
export async function writeRandomLayer(path: string, entry: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.write(tarHeader(entry, size, 'file'));
    for (let written = 0; written < size; written += RANDOM_PIECE_BYTES) {
      await handle.write(await randomBytesAsync(Math.min(RANDOM_PIECE_BYTES, size - written)));
    }
    await handle.write(Buffer.concat([tarPadding(size), Buffer.alloc(2 * TAR_BLOCK)]));
  } finally {
    await handle.close();
  }
}

function parentsOf(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}

function tarPadding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

// A POSIX ustar header (pax "ustar Interchange Format"). Numbers are zero-padded octal.
function tarHeader(path: string, size: number, kind: 'file' | 'directory'): Buffer {
  if (Buffer.byteLength(path) > 100) {
    throw new Error(`tar path longer than 100 bytes: ${path}`);
  }
  const header = Buffer.alloc(TAR_BLOCK);
  header.write(path, 0);
  header.write(octal(kind === 'file' ? 0o644 : 0o755, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136);
  header.write(' '.repeat(8), 148);
  header.write(kind === 'file' ? '0' : '5', 156);
  header.write('ustar\u000000', 257);
  header.write('root', 265);
  header.write('root', 297);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148);
  return header;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}
