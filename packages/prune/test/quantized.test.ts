import {
  assignmentFor,
  getBitsSync,
  type LayerBits,
  layerInfos,
  type QConv2d,
  quantizeModel,
  setIntegerBits,
} from '@fracbits/core';
import { bitopsModel, sizeModel } from '@fracbits/cost';
import { Conv2d, createModel, Flatten, Linear, type Module, ReLU, Sequential } from '@fracbits/nn';
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';
import { Rng, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { maskChannels, removePrunedChannels } from '../src/index.js';
import { outputOf, randomInput, randomizeNorms, relativeDiff } from './helpers.js';

/** Kernel-wise quantization with bits in [0, 8] and random integer bits, some channels at 0. */
function quantizeRandomly(model: Module, inputShape: number[], rng: Rng, zeroRate: number): LayerBits[] {
  const { layers } = quantizeModel(model, {
    granularity: 'kernel',
    targetBits: 3,
    bitsRange: [0, 8],
    inputShape,
  });
  setIntegerBits(
    model,
    layers
      .filter((l) => l.pinned?.w === undefined || l.quantizesInput)
      .map((l) => ({
        name: l.name,
        w:
          l.pinned?.w ??
          Array.from({ length: l.weightBitsSize }, () => (rng.uniform() < zeroRate ? 0 : 1 + rng.int(4))),
        a: 2 + rng.int(3),
      })),
  );
  return getBitsSync(model);
}

interface Costs {
  infos: LayerInfo[];
  bits: BitAssignment[];
}

function costs(model: Module, inputShape: number[]): Costs {
  const infos = layerInfos(model, inputShape);
  return { infos, bits: assignmentFor(infos, getBitsSync(model)) };
}

async function checkQuantized(model: Module, inputShape: number[], bits: LayerBits[]) {
  const x = randomInput([2, ...inputShape], new Rng(2));
  await maskChannels(model, bits, { inputShape });
  const masked = outputOf(model, x);
  const before = costs(model, inputShape);
  const result = await removePrunedChannels(model, bits, { inputShape });
  const pruned = outputOf(model, x);
  x.dispose();
  expect(relativeDiff(masked, pruned)).toBeLessThanOrEqual(1e-5);
  return { result, before, after: costs(model, inputShape) };
}

/**
 * Cost of the smaller model = cost of the masked model (0-bit channels cost 0) where only the
 * producer shrinks; a consumer's BitOps / size also shrink by its kept fraction of inputs.
 */
function checkCosts(before: Costs, after: Costs): void {
  const bitops = bitopsModel({ unit: 'BitOps' });
  const b = bitops.evaluate(before.infos, before.bits);
  const a = bitops.evaluate(after.infos, after.bits);
  after.infos.forEach((info, i) => {
    const j = before.infos.findIndex((l) => l.name === info.name);
    const inFraction = info.inChannels / before.infos[j].inChannels;
    const perGroup = info.groups === info.inChannels && info.groups > 1 ? 1 : inFraction;
    expect(a.perLayer[i]).toBeCloseTo(b.perLayer[j] * perGroup, 6);
    expect(info.params).toBe(
      (before.infos[j].params / before.infos[j].outChannels) * perGroup * info.outChannels,
    );
  });
  expect(a.total).toBeLessThanOrEqual(b.total);
  // Size: kept weights at their bits, plus 32 bits per kept bias.
  const size = sizeModel({ unit: 'bit' });
  const s = size.evaluate(after.infos, after.bits).total;
  const expected = after.infos.reduce((sum, info, i) => {
    const w = after.bits[i].w;
    const bitsSum =
      info.pinned?.w !== undefined ? info.pinned.w * info.outChannels : w.reduce((p, v) => p + v, 0);
    return sum + (info.params / info.outChannels) * bitsSum + (info.hasBias ? 32 * info.outChannels : 0);
  }, 0);
  expect(s).toBeCloseTo(expected, 3);
}

describe('removePrunedChannels on quantized models (0-bit channels)', () => {
  it('lenet5: the same outputs, and costs on the smaller shapes', async () => {
    const model = createModel('lenet5', { seed: 1 });
    const bits = quantizeRandomly(model, [1, 28, 28], new Rng(3), 0.3);
    const { result, before, after } = await checkQuantized(model, [1, 28, 28], bits);
    expect(result.removed.length).toBeGreaterThan(0);
    // Producers: every 0-bit channel is gone and the kept channels keep their bits.
    for (const b of bits.filter((l) => l.pinned?.w === undefined)) {
      const zero = b.w.flatMap((v, i) => (v === 0 ? [i] : []));
      const removed = result.removed.find((r) => r.layer === b.name)?.channels ?? [];
      const kept = result.kept.filter((k) => k.layer === b.name).flatMap((k) => k.channels);
      expect([...removed, ...kept].sort((p, q) => p - q)).toEqual(zero);
      const now = after.bits[after.infos.findIndex((l) => l.name === b.name)];
      expect(now.w).toEqual(b.w.filter((_, i) => !removed.includes(i)));
      expect(now.a).toBe(b.a);
    }
    checkCosts(before, after);
  });

  it('convnet and resnet20: the same outputs through BatchNorms and residual adds', async () => {
    const convnet = createModel('convnet', { seed: 2 });
    const r1 = await checkQuantized(
      convnet,
      [1, 28, 28],
      quantizeRandomly(convnet, [1, 28, 28], new Rng(4), 0.3),
    );
    checkCosts(r1.before, r1.after);

    const resnet = createModel('resnet20', { seed: 5, inputSize: [3, 8, 8] });
    randomizeNorms(resnet, new Rng(6));
    const bits = quantizeRandomly(resnet, [3, 8, 8], new Rng(7), 0.3);
    const r2 = await checkQuantized(resnet, [3, 8, 8], bits);
    expect(r2.result.removed.some((r) => r.layer.endsWith('.conv1'))).toBe(true);
    expect(r2.result.kept.some((k) => /shares its channel/.test(k.reason))).toBe(true);
    checkCosts(r2.before, r2.after);
  });

  /** conv1 (pinned) → conv2 (learnable, 4 channels) → fc (pinned); conv2's channel 0 holds max|W|. */
  function scaleNet(conv2Bits: number[]): Sequential {
    const rng = new Rng(9);
    const model = new Sequential()
      .append(new Conv2d(1, 3, 3, { padding: 1, rng }), 'conv1')
      .append(new ReLU(), 'relu1')
      .append(new Conv2d(3, 4, 3, { padding: 1, rng }), 'conv2')
      .append(new ReLU(), 'relu2')
      .append(new Flatten(), 'flatten')
      .append(new Linear(4 * 16, 3, { rng }), 'fc');
    const w = (model.getModule('conv2') as Conv2d).weight;
    const values = Float32Array.from(w.dataSync());
    values[5] = 3; // in channel 0, which gets 0 bits
    const t = tensor(values, w.shape);
    w.assign(t);
    t.dispose();
    quantizeModel(model, { granularity: 'kernel', targetBits: 3, bitsRange: [0, 8], inputShape: [1, 4, 4] });
    setIntegerBits(model, [
      { name: 'conv2', w: conv2Bits, a: 4 },
      { name: 'fc', w: 8, a: 4 },
    ]);
    return model;
  }

  it('keeps a quantized layer weight scale by moving a kept ±1 weight to ±max|W|', async () => {
    const model = scaleNet([0, 1, 3, 3]);
    const bits = getBitsSync(model);
    const { result } = await checkQuantized(model, [1, 4, 4], bits);
    expect(result.removed).toEqual([{ layer: 'conv2', channels: [0] }]);
    expect(result.edits).toHaveLength(1);
    expect(result.edits[0]).toMatchObject({ layer: 'conv2', to: expect.any(Number) });
    expect(Math.abs(result.edits[0].to)).toBeCloseTo(3, 6);
    expect((model.getModule('conv2') as QConv2d).layer.outChannels).toBe(3);
  });

  it('keeps the channel (zeroed) when no kept weight sits at ±1', async () => {
    const model = scaleNet([0, 8, 8, 8]);
    const { result } = await checkQuantized(model, [1, 4, 4], getBitsSync(model));
    expect(result.removed).toEqual([]);
    expect(result.kept).toEqual([
      { layer: 'conv2', channels: [0], reason: expect.stringMatching(/would lose its weight scale/) },
    ]);
  });

  it('accepts only 0-bit channels of quantized layers', async () => {
    const model = scaleNet([0, 1, 3, 3]);
    await expect(removePrunedChannels(model, { conv2: [1] }, { inputShape: [1, 4, 4] })).rejects.toThrow(
      /channel 1 of quantized layer "conv2" has 1 weight bits; only 0-bit channels can be pruned/,
    );
  });
});
