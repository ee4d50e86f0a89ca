/**
 * The float checkpoint cache: a pre-trained float model is keyed by a hash of everything that
 * determines it (model, data and subset, schedule, optimizer, seed, backend), so a second run with
 * the same float settings skips pre-training.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface FloatCacheKey {
  readonly model: string;
  /** sha256 of an imported model file. */
  readonly modelFile?: string;
  readonly data: unknown;
  readonly pretrain: { readonly epochs: number; readonly lr: number };
  readonly batchSize: number;
  readonly optimizer: unknown;
  readonly seed: number;
  readonly backend: string;
  readonly maxStepsPerEpoch?: number;
}

/** $FRACBITS_CACHE_DIR, else $XDG_CACHE_HOME/fracbits, else ~/.cache/fracbits (config.cacheDir wins). */
export function defaultCacheDir(): string {
  if (process.env.FRACBITS_CACHE_DIR) return process.env.FRACBITS_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fracbits');
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cache file of a float checkpoint. */
export function floatCachePath(dir: string, key: FloatCacheKey): string {
  const hash = sha256(JSON.stringify({ format: 1, ...key })).slice(0, 16);
  const name = key.model.replace(/^.*[\\/]/, '').replace(/[^A-Za-z0-9_.-]+/g, '_');
  return join(dir, `float-${name}-${hash}.safetensors`);
}
