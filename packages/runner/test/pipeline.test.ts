import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, evaluate } from '@fracbits/nn';
import { describe, expect, it } from 'vitest';
import { createRegistry, type RunEvent } from '../src/index.js';
import { loadRunModel, run } from '../src/node.js';
import { tempDir, tinyConfig, writeTinyIdx } from './helpers.js';

describe('run (pipeline)', () => {
  it('pre-trains, searches, discretises, fine-tunes, exports and reports into the run directory', async () => {
    const dir = tempDir();
    const data = writeTinyIdx(join(dir));
    const events: RunEvent[] = [];
    const { summary } = await run(tinyConfig(dir, data), { emit: (e) => events.push(e) });
    const out = join(dir, 'run');
    for (const f of [
      'config.json',
      'run.json',
      'events.jsonl',
      'model.safetensors',
      'float.safetensors',
      'bits.json',
      'report.html',
      'result.json',
      'checkpoints/qat.safetensors',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(summary.bits.map((b) => b.layer)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(summary.cost.ratio).toBeLessThanOrEqual(1.01);
    const discretise = events.find((e) => e.type === 'discretise');
    expect(discretise).toMatchObject({
      fractionalAccuracy: expect.any(Number),
      roundedAccuracy: expect.any(Number),
    });
    const runInfo = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(runInfo).toMatchObject({ status: 'done', seed: 0, backend: 'cpu' });
    expect(Object.keys(summary.files)).toEqual(
      expect.arrayContaining(['export:lenet5-fracbits.onnx', 'export:lenet5-fracbits.fbpk']),
    );
  });
});

describe('run with pruning', () => {
  it('searches kernel-wise bits in [0, 8], removes 0-bit channels, and eval rebuilds the smaller model', async () => {
    const dir = tempDir();
    const data = writeTinyIdx(dir);
    const config = tinyConfig(dir, data, { prune: true, budgets: ['bitops=uniform:1@kappa=10'], epochs: 3 });
    const { summary } = await run(config);
    expect(summary.granularity).toBe('kernel');
    const out = join(dir, 'run');
    const pruned = JSON.parse(readFileSync(join(out, 'pruned.json'), 'utf8')) as Record<string, number[]>;
    expect(Object.keys(pruned)).toContain('conv2');
    expect(Object.values(pruned).flat().length).toBeGreaterThan(0);
    // The summary (--json, result.json, report) lists the same channels per layer, as removed.
    expect(summary.pruned?.map((p) => p.layer)).toEqual(Object.keys(pruned));
    for (const p of summary.pruned ?? []) {
      expect([...p.removed, ...p.keptZeroed.flatMap((k) => k.channels)].sort((a, b) => a - b)).toEqual(
        pruned[p.layer],
      );
      expect(p.of).toBeGreaterThan(p.removed.length);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('pruned channels');
    const resolved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(resolved.bitsRange).toEqual([0, 8]);
    // Kept channels only: no 0-bit weight entry is left in the final bits.
    for (const b of summary.bits) expect((Array.isArray(b.w) ? b.w : [b.w]).every((w) => w > 0)).toBe(true);
    const rebuilt = await loadRunModel(out, createRegistry());
    const r = await evaluate(
      rebuilt.model,
      new DataLoader(rebuilt.data.test, { batchSize: 256, shuffle: false }),
    );
    expect(r.accuracy).toBe(summary.accuracy.final);
    expect(rebuilt.infos?.length).toBe(summary.bits.length);
  });
});
