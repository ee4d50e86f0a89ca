/**
 * Checkpoints as one safetensors file: model state under "model.<name>", optimizer state under
 * "optim.<key>", and in __metadata__ the format tag, the optimizer's JSON metadata and the
 * caller's JSON metadata (epoch, step, rng state, config…).
 */
import { type Backend, getBackend, type Tensor, tensor } from '@fracbits/tensor';
import type { Module } from '../modules/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'fracbits-checkpoint';
export const CHECKPOINT_VERSION = '1';

export interface CheckpointContent {
  readonly model: Module;
  // biome-ignore lint/suspicious/noExplicitAny: any optimizer's hyperparameters
  readonly optimizer?: Optimizer<any>;
  /** Any JSON-serialisable value. */
  readonly metadata?: unknown;
}

/** A decoded checkpoint before it is loaded anywhere (host arrays only). */
export interface DecodedCheckpoint {
  readonly model: Map<string, SafeTensor>;
  readonly optimizer: {
    readonly meta: OptimizerState['meta'];
    readonly tensors: Map<string, SafeTensor>;
  } | null;
  readonly metadata: unknown;
}

async function toSafe(t: Tensor): Promise<SafeTensor> {
  const data = await t.data();
  return { dtype: t.dtype, shape: [...t.shape], data };
}

/** Reads the model (and optimizer) state back from the device and serialises it. */
export async function encodeCheckpoint(content: CheckpointContent): Promise<Uint8Array> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of content.model.stateDict()) tensors.set(`model.${name}`, await toSafe(t));
  const meta: Record<string, string> = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION };
  if (content.optimizer) {
    const state = content.optimizer.state();
    for (const [key, t] of state.tensors) tensors.set(`optim.${key}`, await toSafe(t));
    meta.optimizer = JSON.stringify(state.meta);
  }
  if (content.metadata !== undefined) meta.metadata = JSON.stringify(content.metadata);
  return encodeSafetensors(tensors, meta);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`decodeCheckpoint: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  const file = decodeSafetensors(bytes);
  if (file.metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `decodeCheckpoint: not a ${CHECKPOINT_FORMAT} file (format "${file.metadata.format ?? 'missing'}")`,
    );
  }
  if (file.metadata.version !== CHECKPOINT_VERSION) {
    throw new Error(
      `decodeCheckpoint: unsupported checkpoint version ${file.metadata.version} (this reader: ${CHECKPOINT_VERSION})`,
    );
  }
  const model = new Map<string, SafeTensor>();
  const optim = new Map<string, SafeTensor>();
  for (const [key, t] of file.tensors) {
    if (key.startsWith('model.')) model.set(key.slice(6), t);
    else if (key.startsWith('optim.')) optim.set(key.slice(6), t);
    else throw new Error(`decodeCheckpoint: unexpected tensor "${key}" (expected model.* or optim.*)`);
  }
  let optimizer: DecodedCheckpoint['optimizer'] = null;
  if (file.metadata.optimizer !== undefined) {
    const meta = parseJson(file.metadata.optimizer, 'optimizer metadata') as OptimizerState['meta'];
    if (typeof meta !== 'object' || meta === null || typeof meta.type !== 'string') {
      throw new Error('decodeCheckpoint: optimizer metadata has no "type"');
    }
    optimizer = { meta, tensors: optim };
  } else if (optim.size > 0) {
    throw new Error('decodeCheckpoint: optimizer tensors without optimizer metadata');
  }
  const metadata =
    file.metadata.metadata === undefined ? undefined : parseJson(file.metadata.metadata, 'metadata');
  return { model, optimizer, metadata };
}

function upload(map: Map<string, SafeTensor>, backend: Backend): Map<string, Tensor> {
  return new Map([...map].map(([k, t]) => [k, tensor(t.data, t.shape, { dtype: t.dtype, backend })]));
}

export interface RestoreOptions {
  readonly model: Module;
  // biome-ignore lint/suspicious/noExplicitAny: any optimizer's hyperparameters
  readonly optimizer?: Optimizer<any>;
  /** Passed to loadStateDict (default true). */
  readonly strict?: boolean;
}

/**
 * Loads a checkpoint into a model (and optimizer) on the model's backend; returns the caller's
 * metadata. The file is fully decoded and validated before anything is loaded; the model is
 * loaded before the optimizer, whose state is checked against its parameters as it loads.
 */
export function restoreCheckpoint(bytes: Uint8Array, options: RestoreOptions): unknown {
  const decoded = decodeCheckpoint(bytes);
  const backend = options.model.parameters()[0]?.backend ?? getBackend();
  const modelState = upload(decoded.model, backend);
  try {
    options.model.loadStateDict(modelState, { strict: options.strict ?? true });
    if (options.optimizer) {
      if (!decoded.optimizer) throw new Error('restoreCheckpoint: the checkpoint holds no optimizer state');
      const tensors = upload(decoded.optimizer.tensors, backend);
      try {
        options.optimizer.loadState({ meta: decoded.optimizer.meta, tensors });
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
    }
  } finally {
    // loadStateDict/loadState share the storage, so these handles can go.
    for (const t of modelState.values()) t.dispose();
  }
  return decoded.metadata;
}
