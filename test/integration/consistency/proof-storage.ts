import { FilesystemDriver, type StorageDriver } from '@tidemark/storage';
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

/**
 * The kinds a proof can run on, chosen with TIDEMARK_PROOF_STORAGE (default `filesystem`).
 * Another driver is one more entry: its settings as environment, and a direct driver on it.
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
};

/** Opens the storage TIDEMARK_PROOF_STORAGE names. Throws for an unknown name. */
export async function openProofStorage(workDir: string): Promise<ProofStorage> {
  const kind = process.env.TIDEMARK_PROOF_STORAGE ?? 'filesystem';
  const factory = PROOF_STORAGE[kind];
  if (factory === undefined) {
    const known = Object.keys(PROOF_STORAGE).join(', ');
    throw new Error(`TIDEMARK_PROOF_STORAGE=${kind} is not one of: ${known}`);
  }
  return factory(workDir);
}
