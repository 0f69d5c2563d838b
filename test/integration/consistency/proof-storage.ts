import { FilesystemDriver, S3Driver, type StorageDriver } from '@tidemark/storage';
import { s3Environment, startS3Server } from '@tidemark/testing';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The storage the registry processes of a consistency proof share, and a driver on it
 * without faults, through which the checks look at what storage really holds.
 */
export interface ProofStorage {
  readonly name: string;
  /** The `TIDEMARK_*` settings that put a registry process on this storage. */
  readonly env: Record<string, string>;
  /** The same storage, read directly and without faults. */
  readonly direct: StorageDriver;
  /** Releases whatever was started for it. */
  close(): Promise<void>;
}

/** Opens one kind of storage for a proof; `workDir` is the proof's own scratch folder. */
export type ProofStorageFactory = (workDir: string) => Promise<ProofStorage>;

// S3's minimum part size, so that the proof's larger blobs are assembled from copy parts.
const PART_SIZE = 5 * 1024 * 1024;

/**
 * The kinds a proof can run on. Another driver is one more entry: its settings as
 * environment, and a direct driver on it.
 */
export const PROOF_STORAGE: Record<string, ProofStorageFactory> = {
  filesystem: async (workDir) => {
    const root = join(workDir, 'storage');
    await mkdir(root, { recursive: true });
    return {
      name: 'filesystem',
      env: { TIDEMARK_STORAGE_DRIVER: 'filesystem', TIDEMARK_STORAGE_ROOT: root },
      direct: new FilesystemDriver(root),
      close: async () => undefined,
    };
  },
  s3: async () => {
    const server = await startS3Server();
    const env: Record<string, string> = {
      ...s3Environment(server, `proof/${randomUUID()}`),
      TIDEMARK_S3_PART_SIZE_BYTES: String(PART_SIZE),
    };
    const direct = new S3Driver({
      endpoint: server.endpoint,
      region: server.region,
      bucket: server.bucket,
      prefix: env.TIDEMARK_S3_PREFIX,
      forcePathStyle: true,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      partSizeBytes: PART_SIZE,
    });
    return {
      name: 's3',
      env,
      direct,
      close: async () => {
        direct.close();
        await server.stop();
      },
    };
  },
};

/** Opens fresh storage of `kind`. Throws for an unknown kind. */
export async function openProofStorage(kind: string, workDir: string): Promise<ProofStorage> {
  const factory = PROOF_STORAGE[kind];
  if (factory === undefined) {
    throw new Error(`no proof storage ${kind}; known: ${Object.keys(PROOF_STORAGE).join(', ')}`);
  }
  return factory(workDir);
}
