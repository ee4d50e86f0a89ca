import type { FracBitsEvent, QConv2d } from '@fracbits/core';
import { bitopsModel } from '@fracbits/cost';
import { Conv2d, createDataset, DataLoader, evaluate, Flatten, Linear, ReLU, Sequential } from '@fracbits/nn';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { prunedChannelReport, runPruningSearch, withPruning } from '../src/index.js';

/** 3 classes of 1×6×6 images: a bright row at a class-dependent height, plus noise. */
function loaders(): { train: DataLoader; test: DataLoader } {
  const rng = new Rng(11);
  const n = 48;
  const images = new Float32Array(n * 36);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  labels.forEach((label, i) => {
    for (let p = 0; p < 36; p++)
      images[i * 36 + p] = rng.uniformRange(0, 0.3) + (Math.floor(p / 6) === 2 * label ? 0.7 : 0);
  });
  const data = createDataset({ images, labels, shape: [1, 6, 6] });
  return {
    train: new DataLoader(data, { batchSize: 8, seed: 1 }),
    test: new DataLoader(data, { batchSize: 24, shuffle: false }),
  };
}

function net(seed: number): Sequential {
  return new Sequential()
    .append(new Conv2d(1, 4, 3, { padding: 1, rng: new Rng(seed) }), 'conv1')
    .append(new ReLU(), 'relu1')
    .append(new Conv2d(4, 8, 3, { padding: 1, rng: new Rng(seed + 1) }), 'conv2')
    .append(new ReLU(), 'relu2')
    .append(new Conv2d(8, 8, 3, { padding: 1, rng: new Rng(seed + 2) }), 'conv3')
    .append(new ReLU(), 'relu3')
    .append(new Flatten(), 'flatten')
    .append(new Linear(8 * 36, 3, { rng: new Rng(seed + 3) }), 'fc');
}

describe('runPruningSearch', () => {
  it('prunes channels under a tight BitOps budget, fine-tunes the masked model and removes them', async () => {
    const { train, test } = loaders();
    const events: FracBitsEvent[] = [];
    const bitops = bitopsModel({ unit: 'kBitOps' });
    const r = await runPruningSearch({
      model: net(1),
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      // Below the uniform-2-bit cost while activations stay ≥ 2 bits: some kernels must go.
      budget: { costModel: bitops, target: { kind: 'uniform', bits: 1.5 }, kappa: 0.05 },
      targetBits: 2,
      epochs: 4,
      searchFraction: 0.75,
      optimizer: { lr: 0.05 },
      onEvent: (e) => events.push(e),
    });
    // The search ran kernel-wise on [0, 8] with activations on [2, 8].
    const search = events.find((e) => e.type === 'epoch' && e.stage === 'search');
    expect(search?.type === 'epoch' && search.bits[1].w).toHaveLength(8);
    for (const b of r.bits) expect(b.a).toBeGreaterThanOrEqual(2);
    expect(r.ratio).toBeLessThanOrEqual(1.01);

    const pruned = r.pruned.flatMap((p) => p.channels);
    expect(pruned.length).toBeGreaterThan(0);
    expect(r.pruned).toEqual(prunedChannelReport(r.bits));
    // Every pruned channel went except at most one kept per fully pruned layer.
    const removed = r.removal?.removed.flatMap((x) => x.channels) ?? [];
    const kept = r.removal?.kept ?? [];
    expect(removed.length + kept.flatMap((k) => k.channels).length).toBe(pruned.length);
    expect(kept.every((k) => /keeps at least one/.test(k.reason))).toBe(true);

    // The smaller model is exactly the fine-tuned (masked) model that was evaluated.
    const again = await evaluate(r.model, test);
    expect(again.accuracy).toBe(r.accuracy);
    expect(Math.abs(again.loss - r.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.loss)));
    // The smaller quantized layers keep their ranges (weights [0, 8], activations [2, 8]).
    const conv3 = r.model.getModule('conv3') as QConv2d;
    expect([conv3.bitsW.range, conv3.bitsA?.range]).toEqual([
      [0, 8],
      [2, 8],
    ]);
    // Costs on the smaller shapes: producers cost the same, consumers lose their pruned inputs.
    expect(r.prunedCost).toBeLessThan(r.cost);
    expect(r.prunedLayers.find((l) => l.name === 'conv3')?.inChannels).toBe(
      8 - (r.removal?.removed.find((x) => x.layer === 'conv2')?.channels.length ?? 0),
    );
    expect(r.prunedBits.map((b) => b.w.every((v) => v > 0) || b.w.length === 1)).toEqual(
      r.prunedLayers.map((l) => !kept.some((k) => k.layer === l.name)),
    );
  });
});

describe('runPruningSearch, evaluation after rounding', () => {
  it('masks the pruned channels as soon as the bits are rounded: with no fine-tune, rounded = final = the smaller model', async () => {
    const { train, test } = loaders();
    const losses = new Map<string, number>();
    const r = await runPruningSearch({
      model: net(1),
      inputShape: [1, 6, 6],
      trainLoader: train,
      testLoader: test,
      onEvent: (e) => {
        if (e.type === 'eval') losses.set(e.stage, e.loss);
      },
      budget: {
        costModel: bitopsModel({ unit: 'kBitOps' }),
        target: { kind: 'uniform', bits: 1.5 },
        kappa: 0.05,
      },
      targetBits: 2,
      epochs: 3,
      searchFraction: 1,
      optimizer: { lr: 0.05 },
    });
    expect(r.pruned.flatMap((p) => p.channels).length).toBeGreaterThan(0);
    expect(r.roundedAccuracy).toBe(r.accuracy);
    expect(losses.get('rounded')).toBe(losses.get('final'));
    expect((await evaluate(r.model, test)).accuracy).toBe(r.roundedAccuracy);
  });
});

describe('withPruning', () => {
  const base = {
    model: net(2),
    inputShape: [1, 6, 6],
    ...loaders(),
    budget: { costModel: bitopsModel(), target: { kind: 'uniform' as const, bits: 2 }, kappa: 1 },
    targetBits: 2,
    epochs: 1,
  };
  const options = { ...base, trainLoader: base.train, testLoader: base.test };

  it('sets kernel-wise bits on [0, maxBits] and activations on [minActivationBits, maxBits]', () => {
    const o = withPruning(options, { maxBits: 6, minActivationBits: 3 });
    expect(o).toMatchObject({ granularity: 'kernel', bitsRange: [0, 6], activationBitsRange: [3, 6] });
    expect(typeof o.onEvent).toBe('function');
  });

  it('rejects options that cannot prune', () => {
    expect(() => withPruning({ ...options, granularity: 'layer' })).toThrow(
      /withPruning: pruning needs granularity 'kernel'.*got 'layer'/,
    );
    expect(() => withPruning({ ...options, bitsRange: [2, 8] })).toThrow(
      /withPruning: pruning needs a bit range starting at 0.*got \[2, 8\]/,
    );
    expect(() => withPruning(options, { minActivationBits: 9 })).toThrow(/minActivationBits/);
  });
});

describe('prunedChannelReport', () => {
  it('lists the 0-bit channels of every kernel-wise layer', () => {
    expect(
      prunedChannelReport([
        { name: 'conv1', w: [8] },
        { name: 'conv2', w: [0, 3, 0, 1] },
        { name: 'fc1', w: [2, 2] },
        { name: 'fc2', w: [0] },
      ]),
    ).toEqual([
      { layer: 'conv2', channels: [0, 2], of: 4 },
      { layer: 'fc1', channels: [], of: 2 },
    ]);
    expect(prunedChannelReport([{ name: 'fc2', w: [0] }], () => 3)).toEqual([
      { layer: 'fc2', channels: [0, 1, 2], of: 3 },
    ]);
  });
});
