import { readFileSync } from 'node:fs';
import { bitopsModel, convLayer, linearLayer } from '@fracbits/cost';
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import { discretize, roundBits } from '../src/index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../fixtures/fracbits-vectors.json', import.meta.url), 'utf8'),
);
const bitops = bitopsModel({ unit: 'BitOps' });

/** LeNet-5 at 28×28: conv1 pinned W8/A8, fc3's weights pinned at 8 (FRACBITS.md §2). */
const LENET: LayerInfo[] = [
  convLayer({
    name: 'conv1',
    inChannels: 1,
    outChannels: 6,
    kernel: 5,
    inputSize: 28,
    padding: 2,
    pinned: { w: 8, a: 8 },
  }),
  convLayer({ name: 'conv2', inChannels: 6, outChannels: 16, kernel: 5, inputSize: 14 }),
  linearLayer({ name: 'fc1', inFeatures: 400, outFeatures: 120 }),
  linearLayer({ name: 'fc2', inFeatures: 120, outFeatures: 84 }),
  linearLayer({ name: 'fc3', inFeatures: 84, outFeatures: 10, pinned: { w: 8 } }),
];

const L = vectors.lenet_bitops_layerwise;
const LENET_BITS: BitAssignment[] = LENET.map((_, i) => ({ w: [L.lamda_w[i]], a: L.lamda_a[i] }));

describe('roundBits on the LeNet-5 vectors', () => {
  it('fractional BitOps and gradient match the reference', () => {
    const r = bitops.evaluate(LENET, LENET_BITS);
    expect(r.total).toBeCloseTo(L.bitops, 0);
    // Pinned entries have no gradient; the others are MACs·(other bit-width).
    const gw = (L.dB_dlamda_w as number[][]).map((g, i) => (LENET[i].pinned?.w === undefined ? g[0] : 0));
    const ga = (L.dB_dlamda_a as number[][]).map((g, i) => (LENET[i].pinned?.a === undefined ? g[0] : 0));
    r.grad.w.forEach((g, i) => {
      expect(g[0]).toBeCloseTo(gw[i], 0);
    });
    r.grad.a.forEach((g, i) => {
      expect(g).toBeCloseTo(ga[i], 0);
    });
  });

  it('rounds half to even at o = 0 (2.5 → 2): int_bitops_o0 = 9596160', () => {
    const bits = roundBits(LENET, LENET_BITS, 0, [2, 8]);
    expect(bits.map((b) => [b.w[0], b.a])).toEqual([
      [8, 8],
      [3, 2],
      [3, 4],
      [2, 2],
      [8, 2],
    ]);
    expect(bitops.evaluate(LENET, bits).total).toBe(L.int_bitops_o0);
  });

  it('applies the offset to every learnable bit-width, linear layers included: int_bitops_o_m0p5 = 8952000', () => {
    const bits = roundBits(LENET, LENET_BITS, -0.5, [1, 8]);
    expect(bitops.evaluate(LENET, bits).total).toBe(L.int_bitops_o_m0p5);
  });
});

/** A chain of linear layers with `macs` each (in = macs, out = 1), none pinned. */
function chain(macs: number[], outChannels = 1): LayerInfo[] {
  return macs.map((m, i) =>
    linearLayer({ name: `l${i}`, inFeatures: m / outChannels, outFeatures: outChannels }),
  );
}

describe('discretize', () => {
  it('lands in ±1 % with o = 0 when rounding already does (one trial, no moves)', () => {
    const layers = chain([1000, 2000]);
    const bits = [
      { w: [3.2], a: 3.1 },
      { w: [4.4], a: 3.9 },
    ];
    const target = 1000 * 9 + 2000 * 16;
    const r = discretize({ layers, bits, costModel: bitops, target, bitsRange: [2, 8] });
    expect(r).toMatchObject({ offset: 0, moves: [], cost: target, ratio: 1, inBand: true });
    expect(r.trials).toHaveLength(1);
  });

  it('bisects o ∈ [−1, 0] down to the band and keeps the best offset', () => {
    // Fractional bits 3.6 everywhere: round at 0 → 4 bits (16/9 of the 3-bit budget); o = −0.5 → 3.
    const layers = chain([1000, 3000, 5000, 7000]);
    const bits = layers.map(() => ({ w: [3.6], a: 3.6 }));
    const target = 16000 * 9;
    const r = discretize({ layers, bits, costModel: bitops, target, bitsRange: [2, 8] });
    expect(r.trials.map((t) => t.offset)).toEqual([0, -0.5]);
    expect(r.offset).toBe(-0.5);
    expect(r.inBand).toBe(true);
    expect(r.bits.every((b) => b.w[0] === 3 && b.a === 3)).toBe(true);
  });

  it('searches o ∈ [0, 1] when rounding at 0 lands below 0.99·T', () => {
    const layers = chain([1000, 3000]);
    const bits = layers.map(() => ({ w: [3.3], a: 3.3 }));
    const target = 4000 * 16;
    const r = discretize({ layers, bits, costModel: bitops, target, bitsRange: [2, 8] });
    expect(r.trials[0]).toMatchObject({ offset: 0, cost: 4000 * 9 });
    expect(r.offset).toBeGreaterThan(0);
    expect(r.offset).toBeLessThanOrEqual(1);
    expect(r.inBand).toBe(true);
    expect(r.cost).toBe(target);
  });

  it('never keeps an offset above 1.01·T and reports the fractional cost', () => {
    const layers = chain([1000, 3000, 5000, 7000]);
    const bits = [3.45, 3.55, 3.7, 3.2].map((v) => ({ w: [v], a: v }));
    const fractional = bitops.evaluate(layers, bits).total;
    const r = discretize({ layers, bits, costModel: bitops, target: fractional, bitsRange: [2, 8] });
    expect(r.fractionalCost).toBe(fractional);
    expect(r.cost).toBeLessThanOrEqual(1.01 * fractional);
    expect(r.trials.length).toBeLessThanOrEqual(10);
  });

  it('refines with single-channel moves when no global offset reaches the band (kernel-wise)', () => {
    // 10 channels of 100 MACs each at a = 4: one channel-bit moves the cost by 400 = 1 % of ~40k.
    // Every channel sits at 3.5 + small jitter, so one offset flips all channels at once.
    const layers = chain([1000], 10);
    const w = Array.from({ length: 10 }, (_, i) => 3.5 + (i - 4.5) * 0.001);
    const bits = [{ w, a: 4 }];
    const target = 100 * 4 * (3 * 6 + 4 * 4); // six channels at 3 bits, four at 4 bits
    const r = discretize({ layers, bits, costModel: bitops, target, bitsRange: [2, 8] });
    expect(r.inBand).toBe(true);
    expect(r.cost).toBeLessThanOrEqual(target);
    expect(r.moves.length).toBeGreaterThan(0);
    expect(r.ratio).toBeGreaterThanOrEqual(0.99);
    // Moves take the channels closest to rounding the other way first.
    for (const m of r.moves) expect(m.kind === 'a' || Math.abs(w[m.channel] - 3.5) < 0.01).toBe(true);
  });

  it('reports a budget it cannot reach (layer-wise) and ends at the highest cost ≤ T', () => {
    // One big layer: every integer profile is far from T = 1.1 × (W3A3 cost).
    const layers = chain([100000, 10]);
    const bits = [
      { w: [3.4], a: 3.4 },
      { w: [3.4], a: 3.4 },
    ];
    const target = 1.1 * (100000 * 9 + 10 * 9);
    const r = discretize({ layers, bits, costModel: bitops, target, bitsRange: [2, 8] });
    expect(r.inBand).toBe(false);
    expect(r.cost).toBeLessThanOrEqual(target);
    expect(r.ratio).toBeLessThan(0.99);
    // The small layer alone can be raised (up to 8 bits) without crossing T.
    expect(r.bits[0]).toEqual({ w: [3], a: 3 });
    expect(r.cost).toBeGreaterThan(100000 * 9 + 10 * 9);
  });

  it('rejects malformed input with a clear message', () => {
    const layers = chain([1000]);
    expect(() => discretize({ layers, bits: [], costModel: bitops, target: 10, bitsRange: [2, 8] })).toThrow(
      /discretize: expected one bit assignment per layer, got 0 for 1 layers/,
    );
    expect(() =>
      discretize({ layers, bits: [{ w: [3], a: 3 }], costModel: bitops, target: -1, bitsRange: [2, 8] }),
    ).toThrow(/discretize: expected a positive target, got -1/);
  });
});
