import { readFileSync } from 'node:fs';
import type { BitAssignment } from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import { bitopsModel, convLayer, linearLayer, uniformBits } from '../src/index.js';
import { lenet5, resnet18 } from './fixtures.js';
import { expectGradientsMatch } from './helpers.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../fixtures/fracbits-vectors.json', import.meta.url), 'utf8'),
).lenet_bitops_layerwise as {
  lamda_w: number[];
  lamda_a: number[];
  bitops: number;
  dB_dlamda_w: number[][];
  dB_dlamda_a: number[][];
};

// Grouped 3×3/2 conv 6→4 (2 groups) on 7×7 → 3×3: params 9·3·4 = 108, MACs 108·9 = 972.
const grouped = convLayer({
  name: 'grouped',
  inChannels: 6,
  outChannels: 4,
  kernel: 3,
  stride: 2,
  groups: 2,
  inputSize: 7,
});
// Depthwise 3×3 on 5 channels, 4×6 input, pad 1: params 45, MACs 45·24 = 1080.
const depthwise = convLayer({
  name: 'dw',
  inChannels: 5,
  outChannels: 5,
  kernel: 3,
  padding: 1,
  groups: 5,
  inputSize: [4, 6],
});
// Linear 7→3: MACs = params = 21.
const fc = linearLayer({ name: 'fc', inFeatures: 7, outFeatures: 3 });

describe('bitops', () => {
  const model = bitopsModel({ unit: 'BitOps' });

  it('layer-wise: MACs·w·a per layer, hand-computed', () => {
    expect([grouped.macs, depthwise.macs, fc.macs]).toEqual([972, 1080, 21]);
    const bits: BitAssignment[] = [
      { w: [2.5], a: 3.5 },
      { w: [4], a: 0 },
      { w: [1.25], a: 8 },
    ];
    const r = model.evaluate([grouped, depthwise, fc], bits);
    expect(r.perLayer).toEqual([972 * 8.75, 0, 21 * 10]);
    expect(r.total).toBe(972 * 8.75 + 210);
    expect(r.grad.w).toEqual([[972 * 3.5], [0], [21 * 8]]);
    expect(r.grad.a).toEqual([972 * 2.5, 1080 * 4, 21 * 1.25]);
  });

  it('kernel-wise: MACs/C_out · Σ_o w[o] · a', () => {
    const bits: BitAssignment[] = [
      { w: [1, 2, 3, 0], a: 2 },
      { w: [0.5, 1, 2, 3, 8], a: 3 },
      { w: [2, 4, 6], a: 5 },
    ];
    const r = model.evaluate([grouped, depthwise, fc], bits);
    expect(r.perLayer).toEqual([(972 / 4) * 6 * 2, (1080 / 5) * 14.5 * 3, 7 * 12 * 5]);
    expect(r.grad.w[0]).toEqual([486, 486, 486, 486]);
    expect(r.grad.w[2]).toEqual([35, 35, 35]);
    expect(r.grad.a).toEqual([(972 / 4) * 6, (1080 / 5) * 14.5, 7 * 12]);
  });

  it('kernel-wise with equal bits equals layer-wise', () => {
    const layerwise = model.evaluate([grouped], [{ w: [3.3], a: 2.7 }]).total;
    const kernelwise = model.evaluate([grouped], [{ w: [3.3, 3.3, 3.3, 3.3], a: 2.7 }]).total;
    expect(kernelwise).toBeCloseTo(layerwise, 9);
  });

  it('reports in GBitOps by default and in any prefix asked', () => {
    const bits = [{ w: [2], a: 3 }];
    expect(bitopsModel().unit).toBe('GBitOps');
    expect(bitopsModel().evaluate([fc], bits).total).toBeCloseTo(126e-9, 20);
    expect(bitopsModel({ unit: 'MBitOps' }).evaluate([fc], bits).total).toBeCloseTo(126e-6, 18);
    expect(() => bitopsModel({ unit: 'MB' })).toThrow(/bitops: unknown BitOps unit 'MB'/);
  });

  it('pinned bits replace the assignment and get zero gradient', () => {
    const pinnedFc = { ...fc, pinned: { w: 8 } };
    const r = model.evaluate([pinnedFc], [{ w: [3, 1, 2], a: 2.5 }]);
    expect(r.total).toBe(21 * 8 * 2.5);
    expect(r.grad.w).toEqual([[0, 0, 0]]);
    expect(r.grad.a).toEqual([21 * 8]);
    const both = model.evaluate([{ ...fc, pinned: { w: 8, a: 8 } }], [{ w: [3], a: 2.5 }]);
    expect(both.total).toBe(21 * 64);
    expect(both.grad).toEqual({ w: [[0]], a: [0] });
  });

  it('gradients match finite differences', () => {
    const layers = [grouped, depthwise, { ...fc, pinned: { w: 8 } }];
    expectGradientsMatch(bitopsModel({ unit: 'kBitOps' }), layers, [
      { w: [2.3, 3.6, 0.4, 7.2], a: 3.3 },
      { w: [4.7], a: 2.2 },
      { w: [5.5], a: 1.6 },
    ]);
  });

  it('reproduces the LeNet-5 vector (fracbits-vectors.json lenet_bitops_layerwise)', () => {
    const bits = vectors.lamda_w.map((w, i) => ({ w: [w], a: vectors.lamda_a[i] }));
    // Without pinning, the vector's gradients for every entry (the PyTorch reference differentiates
    // the pinned 8s too).
    const free = model.evaluate(lenet5(false), bits);
    expect(free.total).toBe(vectors.bitops);
    expect(free.total).toBe(9668424);
    free.grad.w.forEach((g, l) => {
      expect(g[0]).toBeCloseTo(vectors.dB_dlamda_w[l][0], 1);
    });
    free.grad.a.forEach((g, l) => {
      expect(Math.abs(g - vectors.dB_dlamda_a[l][0]) / g).toBeLessThan(1e-6); // float32 in the vector
    });
    // Pinned as the method requires: same total, zero gradient for conv1 (w, a) and fc3 (w).
    const pinned = model.evaluate(lenet5(), bits);
    expect(pinned.total).toBe(9668424);
    expect(pinned.grad.w.map((g) => g[0])).toEqual([0, 552000, 187200, 15120, 0]);
    expect(pinned.grad.a[0]).toBe(0);
    expect(pinned.grad.a.slice(1)).toEqual([648000, 48000 * 3.2, 25200, 6720]);
  });

  it('reproduces the FRACBITS.md reference point: ResNet-18 at W4A4 = 34.70 GBitOps', () => {
    const layers = resnet18();
    expect(layers).toHaveLength(21); // conv1, 16 block convs, 3 downsamples, fc
    expect(layers[0].macs).toBe(118013952);
    const r = bitopsModel().evaluate(layers, uniformBits(layers, 4));
    expect(r.total.toFixed(2)).toBe('34.70');
    expect(r.total).toBeCloseTo(34.6980352, 9);
  });
});
