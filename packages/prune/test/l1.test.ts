import { quantizeModel } from '@fracbits/core';
import {
  Conv2d,
  createDataset,
  createModel,
  DataLoader,
  Flatten,
  Linear,
  type Module,
  ReLU,
  Sequential,
} from '@fracbits/nn';
import { Rng, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { l1Prune, maskChannels, removePrunedChannels, selectL1Channels } from '../src/index.js';
import { outputOf, randomInput, randomizeNorms, relativeDiff } from './helpers.js';

/** Scales output row o of a layer's weight by scales[o]. */
function scaleRows(layer: Conv2d | Linear, scales: number[]): void {
  const w = Float32Array.from(layer.weight.dataSync());
  const per = w.length / scales.length;
  for (let i = 0; i < w.length; i++) w[i] *= scales[Math.floor(i / per)];
  const t = tensor(w, layer.weight.shape);
  layer.weight.assign(t);
  t.dispose();
}

/** conv1 1→6, conv2 6→4, fc 64→3 with known filter-norm orders. */
function net(): Sequential {
  const rng = new Rng(3);
  const conv1 = new Conv2d(1, 6, 3, { padding: 1, rng });
  const conv2 = new Conv2d(6, 4, 3, { padding: 1, rng });
  // Large factors dominate the random weights' own norms.
  scaleRows(conv1, [50, 1, 40, 2, 30, 3]);
  scaleRows(conv2, [0.01, 100, 0.02, 200]);
  return new Sequential()
    .append(conv1, 'conv1')
    .append(new ReLU(), 'relu1')
    .append(conv2, 'conv2')
    .append(new ReLU(), 'relu2')
    .append(new Flatten(), 'flatten')
    .append(new Linear(4 * 16, 3, { rng }), 'fc');
}

describe('selectL1Channels', () => {
  it('per layer: the ratio·C_out filters with the smallest L1 norms; the output layer is never pruned', async () => {
    const selected = await selectL1Channels(net(), { inputShape: [1, 4, 4], ratio: 0.5 });
    expect(selected).toEqual(
      new Map([
        ['conv1', [1, 3, 5]],
        ['conv2', [0, 2]],
      ]),
    );
  });

  it('global: the ratio of all units with the smallest mean |w|, each layer keeping one channel', async () => {
    const model = net();
    // conv2's weak filters (×0.01, ×0.02) rank first, then conv1's ×1, ×2, ×3.
    expect(await selectL1Channels(model, { inputShape: [1, 4, 4], ratio: 0.4, scope: 'global' })).toEqual(
      new Map([
        ['conv2', [0, 2]],
        ['conv1', [1, 3]],
      ]),
    );
    const all = await selectL1Channels(model, { inputShape: [1, 4, 4], ratio: 0.99, scope: 'global' });
    expect(all.get('conv1')).toHaveLength(5);
    expect(all.get('conv2')).toHaveLength(3);
    expect(await selectL1Channels(model, { inputShape: [1, 4, 4], ratio: 0.5, layers: ['conv2'] })).toEqual(
      new Map([['conv2', [0, 2]]]),
    );
  });

  it('resnet20: block-internal filters only, unless residual channels are allowed', async () => {
    const model = createModel('resnet20', { seed: 2, inputSize: [3, 8, 8] });
    const inner = await selectL1Channels(model, { inputShape: [3, 8, 8], ratio: 0.25 });
    expect([...inner.keys()].every((name) => /^layer\d\.\d\.conv1$/.test(name))).toBe(true);
    expect(inner.get('layer1.0.conv1')).toHaveLength(4);
    expect(inner.get('layer3.2.conv1')).toHaveLength(16);
    const withResidual = await selectL1Channels(model, {
      inputShape: [3, 8, 8],
      ratio: 0.25,
      residual: true,
    });
    expect(withResidual.get('layer1.0.conv2')?.length).toBeGreaterThan(0);
    // A residual channel goes from the stem and every block of its stage(s) together.
    const c = withResidual.get('conv1')?.[0] as number;
    for (const b of [0, 1, 2]) expect(withResidual.get(`layer1.${b}.conv2`)).toContain(c);
  });

  it('rejects quantized models and bad ratios', async () => {
    const model = net();
    await expect(selectL1Channels(model, { inputShape: [1, 4, 4], ratio: 1 })).rejects.toThrow(
      /selectL1Channels: expected a ratio in \[0, 1\), got 1/,
    );
    quantizeModel(model, { targetBits: 4, inputShape: [1, 4, 4] });
    await expect(selectL1Channels(model, { inputShape: [1, 4, 4], ratio: 0.5 })).rejects.toThrow(
      /the model is quantized; L1 pruning works on float models/,
    );
  });
});

describe('l1Prune', () => {
  it('removes the selected filters exactly (resnet20 with residual channels, mobilenetv2 pairs)', async () => {
    for (const [name, shape, residual] of [
      ['resnet20', [3, 8, 8], true],
      ['mobilenetv2', [3, 16, 16], false],
    ] as const) {
      const model: Module = createModel(name, { seed: 4, inputSize: [...shape], numClasses: 10 });
      randomizeNorms(model, new Rng(5));
      const selected = await selectL1Channels(model, { inputShape: shape, ratio: 0.3, residual });
      const x = randomInput([2, ...shape], new Rng(6));
      await maskChannels(model, selected, { inputShape: shape });
      const masked = outputOf(model, x);
      const r = await removePrunedChannels(model, selected, { inputShape: shape });
      expect(relativeDiff(masked, outputOf(model, x))).toBeLessThanOrEqual(1e-5);
      // Units are removable by construction: every selected channel went, except residual
      // channels an option-A shortcut needs to keep padding symmetrically.
      expect(r.kept.every((k) => /pads floor\(extra\/2\) zero channels/.test(k.reason))).toBe(true);
      expect(r.removed.length).toBeGreaterThan(0);
      x.dispose();
    }
  });

  it('fine-tunes the smaller model with SGD', async () => {
    const rng = new Rng(7);
    const n = 24;
    const images = Float32Array.from({ length: n * 16 }, () => rng.uniformRange(0, 1));
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const data = createDataset({ images, labels, shape: [1, 4, 4] });
    const model = net();
    const r = await l1Prune(model, {
      inputShape: [1, 4, 4],
      ratio: 0.5,
      fineTune: { trainLoader: new DataLoader(data, { batchSize: 8, seed: 1 }), epochs: 2, lr: 0.01 },
    });
    expect(r.selected.get('conv1')).toEqual([1, 3, 5]);
    expect((model.getModule('conv2') as Conv2d).inChannels).toBe(3);
    expect((model.getModule('fc') as Linear).inFeatures).toBe(2 * 16);
    expect(r.epochs).toHaveLength(2);
    expect(r.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
  });
});
