import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/index.js';
import { run } from '../src/node.js';
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
    expect(events.some((e) => e.type === 'discretise')).toBe(true);
    const runInfo = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(runInfo).toMatchObject({ status: 'done', seed: 0, backend: 'cpu' });
    expect(Object.keys(summary.files)).toContain('export:onnx-qdq');
  });
});
