/**
 * The page's job without the page: runDemoSearch on the CPU reference backend with synthetic
 * data, checking the events the charts are drawn from and the ONNX export. (The browser test
 * runs the same code on WebGPU.)
 */
import { checkModel, decodeModel } from '@fracbits/export';
import { CpuBackend, setBackend } from '@fracbits/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ticks } from '../src/charts.js';
import { syntheticDataset, takeBalanced, takeFirst } from '../src/data.js';
import {
  type DemoEvent,
  type DemoResult,
  type DemoSettings,
  exportOnnx,
  runDemoSearch,
} from '../src/search.js';

const settings: DemoSettings = {
  model: 'lenet5',
  budgetBits: 4,
  granularity: 'kernel',
  pretrainEpochs: 1,
  epochs: 3,
  batchSize: 32,
  seed: 0,
};

describe('runDemoSearch (CPU backend, synthetic data)', () => {
  const events: DemoEvent[] = [];
  let run: DemoResult;

  beforeAll(async () => {
    setBackend(new CpuBackend());
    const train = takeBalanced(syntheticDataset(200, 1), 96);
    const test = takeFirst(syntheticDataset(100, 2), 40);
    run = await runDemoSearch({ train, test }, settings, (e) => events.push(e));
  });

  it('goes through the stages in order', () => {
    const stages = events.filter((e) => e.type === 'stage').map((e) => e.stage);
    expect(stages).toEqual(['pretrain', 'search', 'discretise', 'finetune', 'evaluate', 'done']);
  });

  it('reports every step, with the fractional cost and the budget while searching', () => {
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.filter((e) => e.stage === 'pretrain').map((e) => e.step)).toEqual([1, 2, 3]);
    const search = steps.filter((e) => e.stage === 'search');
    expect(search.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]); // round(3 · 0.8) = 2 epochs × 3 steps
    for (const e of search) {
      expect(e.totalSteps).toBe(9);
      expect(e.cost).toBeGreaterThan(0);
      expect(e.budget).toBeCloseTo(run.result.target, 9);
    }
    expect(steps.filter((e) => e.stage === 'finetune').every((e) => e.cost === undefined)).toBe(true);
  });

  it('sends the bits at the start, after every epoch, and the final integer bits', async () => {
    // The start is read asynchronously: let it land.
    await new Promise((done) => setTimeout(done, 0));
    const bits = events.filter((e) => e.type === 'bits');
    expect(bits.map((e) => e.epoch).sort()).toEqual([0, 1, 2, 3, 3]);
    const start = bits.find((e) => e.epoch === 0)!;
    expect(start.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(start.layers[1]).toMatchObject({ w: 4.5, wMin: 4.5, wMax: 4.5, a: 4.5, pinned: false });
    expect(start.layers[0]).toMatchObject({ w: 8, a: 8, pinned: true });
    const last = bits[bits.length - 1];
    for (const l of last.layers) {
      expect(Number.isInteger(l.wMin) && Number.isInteger(l.wMax) && Number.isInteger(l.a)).toBe(true);
      expect(l.wMin).toBeLessThanOrEqual(l.w);
      expect(l.w).toBeLessThanOrEqual(l.wMax);
    }
  });

  it('sends one accuracy per epoch: float, search, fractional, final', () => {
    const acc = events.filter((e) => e.type === 'accuracy').map((e) => [e.stage, e.epoch]);
    expect(acc).toEqual([
      ['float', 1],
      ['search', 2],
      ['search', 3],
      ['final', 4],
    ]);
    const final = events.find((e) => e.type === 'accuracy' && e.stage === 'final');
    expect(final && final.type === 'accuracy' && final.accuracy).toBe(run.result.accuracy);
  });

  it('exports the integer model as QDQ ONNX', async () => {
    const model = decodeModel(await exportOnnx(run, settings));
    expect(checkModel(model)).toEqual([]);
    const meta = Object.fromEntries(model.metadata_props?.map((p) => [p.key, p.value]) ?? []);
    expect(meta).toMatchObject({ budget: 'bitops=uniform:4', granularity: 'kernel' });
  });
});

describe('data helpers', () => {
  it('takes class-balanced and leading subsets', () => {
    const data = syntheticDataset(50, 3);
    const balanced = takeBalanced(data, 23);
    expect(balanced.length).toBe(23);
    const counts = new Array(10).fill(0);
    for (const c of balanced.labels) counts[c]++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(Array.from(takeFirst(data, 7).labels)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(takeFirst(data, 500).length).toBe(50);
  });

  it('makes deterministic synthetic images in [0, 255]', () => {
    const a = syntheticDataset(20, 1);
    expect(a.shape).toEqual([1, 28, 28]);
    expect(Array.from(a.images)).toEqual(Array.from(syntheticDataset(20, 1).images));
  });
});

describe('chart ticks', () => {
  it('are round values covering the range', () => {
    expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(10.2, 11.7)).toEqual([10.5, 11, 11.5]);
    expect(ticks(0, 9, 5, true)).toEqual([0, 2, 4, 6, 8]);
    expect(ticks(0, 3, 5, true)).toEqual([0, 1, 2, 3]);
  });
});
