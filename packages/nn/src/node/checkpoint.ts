/** File-level checkpoints and safetensors (Node only); saves are atomic. */
import { readFile } from 'node:fs/promises';
import {
  type CheckpointContent,
  encodeCheckpoint,
  type RestoreOptions,
  restoreCheckpoint,
} from '../io/checkpoint.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor,
  type SafetensorsFile,
} from '../io/safetensors.js';
import { writeFileAtomic } from './files.js';

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(
      `${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

export async function saveCheckpoint(path: string, content: CheckpointContent): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(content));
}

/** Loads a checkpoint file into a model (and optimizer); returns the saved metadata. */
export async function loadCheckpoint(path: string, options: RestoreOptions): Promise<unknown> {
  const bytes = await readBytes(path, 'loadCheckpoint');
  return withPath(path, () => restoreCheckpoint(bytes, options));
}

export async function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafeTensor> | Readonly<Record<string, SafeTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  const bytes = await readBytes(path, 'loadSafetensors');
  return withPath(path, () => decodeSafetensors(bytes));
}
