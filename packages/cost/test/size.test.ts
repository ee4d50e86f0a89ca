import { describe, expect, it } from 'vitest';
import { convLayer, linearLayer, packedSizeBytes, sizeModel } from '../src/index.js';
import { lenet5 } from './fixtures.js';
import { expectGradientsMatch } from './helpers.js';

// Depthwise 3×3/2, 8 channels, 5×5 input, pad 1 → 3×3: params 72, 9 per kernel.
const dw = convLayer({
  name: 'dw',
  inChannels: 8,
  outChannels: 8,
  kernel: 3,
  stride: 2,
  padding: 1,
  groups: 8,
  inputSize: 5,
});
// Grouped 3×3 conv 6→4 in 2 groups: 27 params per kernel.
const grouped = convLayer({ name: 'g', inChannels: 6, outChannels: 4, kernel: 3, groups: 2, inputSize: 3 });
const fc = linearLayer({ name: 'fc', inFeatures: 5, outFeatures: 2 }); // 10 params, bias 2

describe('size', () => {
  const bits = sizeModel({ unit: 'bit' });

  it('counts params·bw bits plus 32 per bias value, hand-computed', () => {
    expect([dw.params, grouped.params, dw.outputShape]).toEqual([72, 108, [8, 3, 3]]);
    const r = bits.evaluate(
      [dw, grouped, fc],
      [
        { w: [3], a: 5 },
        { w: [1, 2, 0, 4.5], a: 5 },
        { w: [2.5], a: 1 },
      ],
    );
    expect(r.perLayer).toEqual([216, 27 * 7.5, 25 + 64]);
    expect(r.grad.w).toEqual([[72], [27, 27, 27, 27], [10]]);
    expect(r.grad.a).toEqual([0, 0, 0]); // activations do not count
  });

  it('reports MB = bits / 8e6 by default', () => {
    const r = sizeModel().evaluate([dw], [{ w: [3], a: 3 }]);
    expect(sizeModel().unit).toBe('MB');
    expect(r.total).toBeCloseTo(216 / 8e6, 15);
    expect(sizeModel({ unit: 'kB' }).evaluate([dw], [{ w: [3], a: 3 }]).total).toBeCloseTo(0.027, 12);
  });

  it('pinned weights, gradients by finite differences', () => {
    const r = bits.evaluate(
      lenet5(),
      lenet5().map(() => ({ w: [2], a: 2 })),
    );
    expect(r.perLayer[0]).toBe(150 * 8 + 6 * 32);
    expect(r.grad.w[0]).toEqual([0]);
    expectGradientsMatch(
      sizeModel(),
      [dw, grouped, { ...fc, pinned: { w: 8 } }],
      [
        { w: [3.4], a: 2 },
        { w: [1.2, 2.7, 0.3, 4.5], a: 5 },
        { w: [2.5], a: 1 },
      ],
    );
  });

  it('packedSizeBytes: packed weights + float32 scales and biases', () => {
    // Layer-wise 4-bit grouped conv: 108·4 bits = 54 B, one scale.
    expect(packedSizeBytes([grouped], [{ w: [4], a: 4 }])).toBe(54 + 4);
    // Kernel-wise [1,0,3,4]: 27·8 bits = 27 B, three kept channels → three scales.
    expect(packedSizeBytes([grouped], [{ w: [1, 0, 3, 4], a: 4 }])).toBe(27 + 12);
    // fc 5→2 at 3 bits: 30 bits → 4 B (rounded up), scale 4 B, biases 8 B.
    expect(packedSizeBytes([fc], [{ w: [3], a: 8 }])).toBe(4 + 4 + 8);
    // Kernel-wise with a pruned channel drops its bias too; pinned bits are honoured.
    expect(packedSizeBytes([{ ...fc, pinned: { w: 8 } }], [{ w: [2, 0], a: 8 }])).toBe(10 + 8 + 8);
    expect(packedSizeBytes([fc], [{ w: [0, 2], a: 8 }])).toBe(2 + 4 + 4);
    expect(() => packedSizeBytes([fc], [{ w: [2.5], a: 8 }])).toThrow(
      /packedSizeBytes: layer 0 \('fc'\): packed files hold integer bit-widths, got w\[0\] = 2.5/,
    );
  });
});
