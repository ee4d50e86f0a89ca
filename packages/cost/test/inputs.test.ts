import { describe, expect, it } from 'vitest';
import { bitopsModel, convLayer, linearLayer, matchUnit, SIZE_UNITS } from '../src/index.js';

const fc = linearLayer({ name: 'fc', inFeatures: 4, outFeatures: 3 });

describe('layer builders', () => {
  it('compute PyTorch conv arithmetic (strided, padded, dilated, grouped, rectangular)', () => {
    const c = convLayer({
      name: 'c',
      inChannels: 4,
      outChannels: 6,
      kernel: [3, 2],
      stride: [2, 1],
      padding: [1, 0],
      dilation: [2, 1],
      groups: 2,
      inputSize: [11, 7],
      bias: true,
    });
    // H: floor((11 + 2 − 2·2 − 1)/2) + 1 = 5; W: floor((7 − 1 − 1)/1) + 1 = 6.
    expect(c.outputShape).toEqual([6, 5, 6]);
    expect(c.params).toBe(3 * 2 * 2 * 6);
    expect(c.macs).toBe(72 * 30);
    expect(c).toMatchObject({
      kind: 'conv',
      kernel: [3, 2],
      stride: [2, 1],
      groups: 2,
      inputShape: [4, 11, 7],
      hasBias: true,
    });
    expect(fc).toMatchObject({
      kind: 'linear',
      macs: 12,
      params: 12,
      inputShape: [4],
      outputShape: [3],
      hasBias: true,
    });
    expect(() =>
      convLayer({ name: 'x', inChannels: 3, outChannels: 4, kernel: 3, groups: 2, inputSize: 5 }),
    ).toThrow(/convLayer\('x'\): groups \(2\) must divide inChannels \(3\) and outChannels \(4\)/);
    expect(() => convLayer({ name: 'x', inChannels: 1, outChannels: 1, kernel: 5, inputSize: 3 })).toThrow(
      /kernel 5×5 does not fit the padded 3×3 input/,
    );
    expect(() => linearLayer({ name: 'y', inFeatures: 0, outFeatures: 2 })).toThrow(
      /linearLayer\('y'\): expected inFeatures to be a positive integer, got 0/,
    );
  });
});

describe('evaluate input checks', () => {
  const model = bitopsModel();
  it('names the function, the layer and what was expected', () => {
    expect(() => model.evaluate([fc], [])).toThrow(
      /bitops.evaluate: expected one bit assignment per layer \(1 layers\), got 0/,
    );
    expect(() => model.evaluate([fc], [{ w: [1, 2], a: 3 }])).toThrow(
      /bitops.evaluate: layer 0 \('fc'\): has 3 output channels, so bits.w must have length 1 \(layer-wise\) or 3 \(kernel-wise\); got 2/,
    );
    expect(() => model.evaluate([fc], [{ w: [Number.NaN], a: 3 }])).toThrow(
      /bits.w\[0\] to be a finite number ≥ 0, got NaN/,
    );
    expect(() => model.evaluate([fc], [{ w: [2], a: -1 }])).toThrow(
      /bits.a to be a finite number ≥ 0, got -1/,
    );
    expect(() => model.evaluate([{ ...fc, macs: 1.5 }], [{ w: [2], a: 1 }])).toThrow(
      /expected macs to be a non-negative integer, got 1.5/,
    );
    expect(() => model.evaluate([{ ...fc, kind: 'pool' as never }], [{ w: [2], a: 1 }])).toThrow(
      /expected kind 'conv' or 'linear', got 'pool'/,
    );
    expect(() => model.evaluate([{ ...fc, pinned: { w: -8 } }], [{ w: [2], a: 1 }])).toThrow(/pinned.w/);
  });

  it('handles 0 bits', () => {
    const r = model.evaluate([fc], [{ w: [0, 0, 0], a: 0 }]);
    expect(r.total).toBe(0);
    expect(r.grad.w).toEqual([[0, 0, 0]]);
  });

  it('units: bytes are case-sensitive, bit spellings are not', () => {
    expect(matchUnit(SIZE_UNITS, 'MB')).toEqual({ factor: 8e6, canonical: 'MB' });
    expect(matchUnit(SIZE_UNITS, 'Mbits')).toEqual({ factor: 1e6, canonical: 'Mbit' });
    expect(matchUnit(SIZE_UNITS, 'Mb')).toBeUndefined();
    expect(matchUnit(SIZE_UNITS, 'mB')).toBeUndefined();
  });
});
