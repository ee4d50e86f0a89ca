import { getBitsSync, layerInfos, quantizeModel, setIntegerBits } from '@fracbits/core';
import { createModel, type Module } from '@fracbits/nn';
import { checkSpecificationVersion, definePlugin, type Pruner } from '@fracbits/plugin-api';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { describeModel, l1Pruner, maskChannels, modelBits, zeroBitPruner } from '../src/index.js';
import { outputOf, randomInput, relativeDiff } from './helpers.js';

/** A host that knows only the plugin-api interface. */
async function runPruner(
  pruner: Pruner,
  model: unknown,
  layers: Parameters<Pruner['prune']>[0]['layers'],
  bits: Parameters<Pruner['prune']>[0]['bits'],
) {
  checkSpecificationVersion(
    definePlugin({ specificationVersion: 'v1', name: 'host-test', description: '', pruners: [pruner] }),
  );
  return pruner.prune({ model, layers, bits });
}

describe('zeroBitPruner', () => {
  it('removes the 0-bit channels of a quantized lenet5 and reports layers and bits after pruning', async () => {
    const model = createModel('lenet5', { seed: 1 });
    quantizeModel(model, {
      granularity: 'kernel',
      targetBits: 3,
      bitsRange: [0, 8],
      inputShape: [1, 28, 28],
    });
    setIntegerBits(model, [
      { name: 'conv2', w: [0, 2, 3, 0, 4, 1, 2, 3, 0, 2, 2, 2, 3, 3, 3, 3], a: 3 },
      { name: 'fc1', w: Array.from({ length: 120 }, (_, i) => (i % 10 === 0 ? 0 : 2)), a: 4 },
      { name: 'fc2', w: Array.from({ length: 84 }, (_, i) => (i === 5 ? 0 : 3)), a: 4 },
      { name: 'fc3', w: 8, a: 5 },
    ]);
    const layers = layerInfos(model, [1, 28, 28]);
    const bits = await modelBits(model, layers);
    const x = randomInput([2, 1, 28, 28], new Rng(2));
    // The masked model (0-bit channels' biases zeroed) is what pruning must reproduce.
    await maskChannels(
      model,
      layers.map((l, i) => ({ name: l.name, w: bits[i].w })),
      { inputShape: [1, 28, 28] },
    );
    const before = outputOf(model, x);

    const r = await runPruner(zeroBitPruner(), model, layers, bits);
    expect(r.model).toBe(model);
    expect(relativeDiff(before, outputOf(model, x))).toBeLessThanOrEqual(1e-5);
    expect(r.removed).toEqual([
      { layer: 'conv2', channels: [0, 3, 8] },
      { layer: 'fc1', channels: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110] },
      { layer: 'fc2', channels: [5] },
    ]);
    expect(r.layers).toEqual(describeModel(model as Module, [1, 28, 28]));
    expect(r.layers.map((l) => [l.name, l.inChannels, l.outChannels])).toEqual([
      ['conv1', 1, 6],
      ['conv2', 6, 13],
      ['fc1', 325, 108],
      ['fc2', 108, 83],
      ['fc3', 83, 10],
    ]);
    // Carried bits equal the smaller model's own bits.
    expect(r.bits).toEqual(await modelBits(model as Module, r.layers));
    expect(r.bits[1].w).toEqual([2, 3, 4, 1, 2, 3, 2, 2, 2, 3, 3, 3, 3]);
    expect(getBitsSync(model as Module).every((b) => b.w.every((v) => v > 0))).toBe(true);
    x.dispose();
  });

  it('rejects what it cannot prune', async () => {
    const pruner = zeroBitPruner({ inputShape: [1, 28, 28] });
    await expect(pruner.prune({ model: {} as Module, layers: [], bits: [] })).rejects.toThrow(
      /zero-bit pruner: expected an @fracbits\/nn Module as the model/,
    );
    const model = createModel('lenet5');
    const layers = describeModel(model, [1, 28, 28]);
    await expect(pruner.prune({ model, layers, bits: [] })).rejects.toThrow(/expected bit-widths/);
    await expect(pruner.prune({ model, layers, bits: [{ w: [1], a: 1 }] })).rejects.toThrow(
      /expected one bit assignment per layer \(5\), got 1/,
    );
  });
});

describe('l1Pruner', () => {
  it('prunes a float convnet per layer and describes the smaller model', async () => {
    const model = createModel('convnet', { seed: 3 });
    const layers = describeModel(model, [1, 28, 28]);
    const bits = layers.map((l) => ({ w: new Array<number>(l.outChannels).fill(4), a: 4 }));
    const pruner = l1Pruner({ ratio: 0.25 });
    expect(pruner).toMatchObject({ specificationVersion: 'v1', name: 'l1-norm' });
    const r = await runPruner(pruner, model, layers, bits);
    expect(r.layers.map((l) => [l.name, l.inChannels, l.outChannels])).toEqual([
      ['conv1', 1, 24],
      ['conv2', 24, 48],
      ['fc1', 48 * 49, 96],
      ['fc2', 96, 10],
    ]);
    expect(r.bits.map((b) => b.w.length)).toEqual([24, 48, 96, 10]);
    expect(r.removed.map((x) => [x.layer, x.channels.length])).toEqual([
      ['conv1', 8],
      ['conv2', 16],
      ['fc1', 32],
    ]);
  });
});
