import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry, type RunEvent, RunInterrupted, resolveConfig } from '../src/index.js';
import { runPipeline } from '../src/node.js';
import { tempDir, tinyConfig, writeTinyIdx } from './helpers.js';

/** Runs the pipeline; `stopAfter` aborts once that many epochs of `stage` have ended. */
async function pipeline(
  config: Record<string, unknown>,
  runDir: string,
  options: { resume?: boolean; stopAfter?: { stage: string; epochs: number } } = {},
) {
  const controller = new AbortController();
  let ended = 0;
  const emit = (e: RunEvent) => {
    if (
      options.stopAfter &&
      e.type === 'epoch' &&
      e.stage === options.stopAfter.stage &&
      ++ended === options.stopAfter.epochs
    )
      controller.abort();
  };
  return runPipeline({
    config: resolveConfig(config),
    registry: createRegistry(),
    runDir,
    emit,
    signal: controller.signal,
    resume: options.resume,
  });
}

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

describe('resume', () => {
  it('continues an interrupted run from its last checkpoint to exactly the uninterrupted result (CPU)', async () => {
    const root = tempDir();
    const data = writeTinyIdx(root);
    const base = tinyConfig(root, data, { epochs: 4, searchFraction: 0.5, pretrain: { epochs: 2 } });
    const full = join(root, 'full');
    const reference = await pipeline({ ...base, out: full, cacheDir: join(root, 'cache-a') }, full);

    // Interrupted inside the pre-training, then inside the search, then inside the fine-tune.
    const cut = join(root, 'cut');
    const config = { ...base, out: cut, cacheDir: join(root, 'cache-b') };
    await expect(
      pipeline(config, cut, { stopAfter: { stage: 'pretrain', epochs: 1 } }),
    ).rejects.toBeInstanceOf(RunInterrupted);
    expect(JSON.parse(bytes(cut, 'run.json').toString()).status).toBe('interrupted');
    await expect(
      pipeline(config, cut, { resume: true, stopAfter: { stage: 'search', epochs: 1 } }),
    ).rejects.toBeInstanceOf(RunInterrupted);
    await expect(
      pipeline(config, cut, { resume: true, stopAfter: { stage: 'finetune', epochs: 1 } }),
    ).rejects.toBeInstanceOf(RunInterrupted);
    const resumed = await pipeline(config, cut, { resume: true });

    expect(resumed.summary.bits).toEqual(reference.summary.bits);
    expect(resumed.summary.accuracy).toEqual(reference.summary.accuracy);
    expect(resumed.summary.cost).toEqual(reference.summary.cost);
    // The float and final weights (λ and α included) bit for bit; the headers' metadata differs
    // (run directory, cache path).
    const tensors = (dir: string, file: string) => {
      const b = bytes(dir, file);
      return b.subarray(8 + Number(b.readBigUInt64LE(0)));
    };
    expect(tensors(cut, 'float.safetensors').equals(tensors(full, 'float.safetensors'))).toBe(true);
    expect(tensors(cut, 'model.safetensors').equals(tensors(full, 'model.safetensors'))).toBe(true);
    expect(resumed.report.history.qat.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    const run = JSON.parse(bytes(cut, 'run.json').toString());
    expect(run).toMatchObject({ status: 'done' });
    expect(run.resumed).toHaveLength(3);
  });
});
