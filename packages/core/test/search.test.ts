import { bitopsModel } from '@fracbits/cost';
import {
  Conv2d,
  createDataset,
  DataLoader,
  Flatten,
  Linear,
  type Module,
  ReLU,
  Sequential,
} from '@fracbits/nn';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { type FracBitsEvent, runFracBits, runUniformQat } from '../src/index.js';

/** 3 classes of 1×6×6 images: a bright row at a class-dependent height, plus noise. */
function loaders(): { train: DataLoader; test: DataLoader } {
  const rng = new Rng(11);
  const n = 24;
  const images = new Float32Array(n * 36);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  labels.forEach((label, i) => {
    for (let p = 0; p < 36; p++)
      images[i * 36 + p] = rng.uniformRange(0, 0.3) + (Math.floor(p / 6) === 2 * label ? 0.7 : 0);
  });
  const data = createDataset({ images, labels, shape: [1, 6, 6] });
  return {
    train: new DataLoader(data, { batchSize: 8, seed: 1 }),
    test: new DataLoader(data, { batchSize: 12, shuffle: false }),
  };
}

function net(seed: number): Sequential {
  return new Sequential()
    .append(new Conv2d(1, 4, 3, { padding: 1, rng: new Rng(seed) }), 'conv1')
    .append(new ReLU(), 'relu1')
    .append(new Conv2d(4, 4, 3, { padding: 1, rng: new Rng(seed + 1) }), 'conv2')
    .append(new ReLU(), 'relu2')
    .append(new Flatten(), 'flatten')
    .append(new Linear(4 * 36, 3, { rng: new Rng(seed + 2) }), 'fc');
}

describe('runFracBits', () => {
  it('searches, discretises under the budget, fine-tunes and evaluates, with events', async () => {
    const { train, test } = loaders();
    const events: FracBitsEvent[] = [];
    const bitops = bitopsModel({ unit: 'BitOps' });
    const r = await runFracBits({
      model: net(1),
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      budget: { costModel: bitops, target: { kind: 'uniform', bits: 3 }, kappa: 1e-3 },
      targetBits: 3,
      granularity: 'kernel',
      epochs: 2,
      searchFraction: 0.5,
      optimizer: { lr: 0.05 },
      readLossEvery: 1,
      onEvent: (e) => events.push(e),
    });
    expect(events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage)).toEqual([
      'search',
      'discretize',
      'finetune',
      'evaluate',
    ]);
    const searchBatches = events.filter((e) => e.type === 'batch' && e.stage === 'search');
    expect(searchBatches).toHaveLength(3);
    expect(
      searchBatches.every((e) => e.type === 'batch' && e.penalty !== undefined && Number.isFinite(e.loss)),
    ).toBe(true);
    // The penalty pulls the λ (initialised at 3.5, above the uniform-3 budget) down.
    const searchEpoch = events.find((e) => e.type === 'epoch' && e.stage === 'search');
    expect(searchEpoch?.type === 'epoch' && searchEpoch.bits[1].w.every((b) => b < 3.5)).toBe(true);
    // Integer bits, within the range, at or under 1.01 × budget.
    for (const b of r.bits) {
      expect(b.w.every(Number.isInteger)).toBe(true);
      expect(Number.isInteger(b.a)).toBe(true);
    }
    expect(r.bits[0]).toMatchObject({ name: 'conv1', w: [8], a: 8 });
    expect(r.bits[2]).toMatchObject({ name: 'fc', w: [8] });
    expect(r.ratio).toBeLessThanOrEqual(1.01);
    expect(r.cost).toBe(bitops.evaluate(r.infos, r.discretization.bits).total);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(Number.isFinite(r.fractionalAccuracy)).toBe(true);
    expect(r).toMatchObject({ unit: 'BitOps', satRescale: false, kappa: [1e-3] });
    // Three evaluations: fractional (before rounding), rounded (integer, before fine-tuning), final.
    expect(events.flatMap((e) => (e.type === 'eval' ? [e.stage] : []))).toEqual([
      'fractional',
      'rounded',
      'final',
    ]);
    const rounded = events.find((e) => e.type === 'eval' && e.stage === 'rounded');
    expect(rounded?.type === 'eval' && rounded.accuracy).toBe(r.roundedAccuracy);
    const order = events.map((e) => (e.type === 'eval' ? `eval:${e.stage}` : e.type));
    expect(order.indexOf('discretize')).toBeLessThan(order.indexOf('eval:rounded'));
  });

  it('evaluates the integer model after rounding: with no fine-tune epoch it is the final model', async () => {
    const { train, test } = loaders();
    const r = await runFracBits({
      model: net(4),
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      budget: {
        costModel: bitopsModel({ unit: 'BitOps' }),
        target: { kind: 'uniform', bits: 2 },
        kappa: 1e-3,
      },
      targetBits: 2,
      epochs: 1,
      searchFraction: 1,
      optimizer: { lr: 0.05 },
    });
    expect(r.roundedAccuracy).toBe(r.accuracy);
  });
});

describe('runUniformQat', () => {
  it('trains the uniform model at the given bits and reports its cost', async () => {
    const { train, test } = loaders();
    const bitops = bitopsModel({ unit: 'BitOps' });
    const r = await runUniformQat({
      model: net(2),
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      bits: 3,
      costModel: bitops,
      epochs: 1,
    });
    expect(r.bits.map((b) => [b.w, b.a])).toEqual([
      [[8], 8],
      [[3], 3],
      [[8], 3],
    ]);
    expect(r.cost).toBe(
      bitops.evaluate(
        r.infos,
        r.infos.map(() => ({ w: [3], a: 3 })),
      ).total,
    );
  });

  it('starts PACT α at alphaInit (both runners), at FRACBITS.md §2 values by default', async () => {
    const { train, test } = loaders();
    const bitops = bitopsModel({ unit: 'BitOps' });
    const alphas = (r: { model: Module }) =>
      Object.fromEntries(
        [...r.model.namedParameters()]
          .filter(([n]) => n.endsWith('.alpha'))
          .map(([n, t]) => [n, t.dataSync()[0]]),
      );
    // lr 0: α stays at its start, so the result shows what the layers were built with.
    const common = {
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      epochs: 1,
      optimizer: { lr: 0 },
    } as const;
    const uniform = await runUniformQat({
      ...common,
      model: net(3),
      bits: 3,
      costModel: bitops,
      alphaInit: { conv: 1.5, linear: 2.5 },
    });
    expect(alphas(uniform)).toEqual({ 'conv2.alpha': 1.5, 'fc.alpha': 2.5 });
    const search = await runFracBits({
      ...common,
      model: net(3),
      budget: { costModel: bitops, target: { kind: 'uniform', bits: 3 }, kappa: 1e-3 },
      targetBits: 3,
      epochs: 2,
      searchFraction: 0.5,
      alphaInit: { conv: 0.75 },
    });
    expect(alphas(search)).toEqual({ 'conv2.alpha': 0.75, 'fc.alpha': 10 });
    const byDefault = await runUniformQat({ ...common, model: net(3), bits: 3, costModel: bitops });
    expect(alphas(byDefault)).toEqual({ 'conv2.alpha': 8, 'fc.alpha': 10 });
  });
});
