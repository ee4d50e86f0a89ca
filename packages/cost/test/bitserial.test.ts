import { describe, expect, it } from 'vitest';
import { bitopsModel, bitserialModel, convLayer, linearLayer } from '../src/index.js';
import { expectGradientsMatch } from './helpers.js';

const fc = linearLayer({ name: 'fc', inFeatures: 10, outFeatures: 3 }); // 30 MACs
const conv = convLayer({
  name: 'c',
  inChannels: 3,
  outChannels: 5,
  kernel: [1, 3],
  stride: [1, 2],
  inputSize: [2, 9],
});

describe('bitserial', () => {
  const model = bitserialModel({ unit: 'BrickOps' });

  it('equals MACs·⌈bw/p⌉·⌈ba/p⌉ at integer bits', () => {
    expect(model.evaluate([fc], [{ w: [3], a: 5 }]).total).toBe(30 * 2 * 3);
    expect(model.evaluate([fc], [{ w: [8], a: 8 }]).total).toBe(30 * 16);
    expect(model.evaluate([fc], [{ w: [0], a: 8 }]).total).toBe(0);
    expect(bitserialModel({ brick: 3, unit: 'BrickOps' }).evaluate([fc], [{ w: [7], a: 4 }]).total).toBe(
      30 * 3 * 2,
    );
    for (let w = 0; w <= 8; w++) {
      for (let a = 0; a <= 8; a++) {
        const r = model.evaluate([conv], [{ w: [w], a }]);
        expect(r.total).toBe(conv.macs * Math.ceil(w / 2) * Math.ceil(a / 2));
      }
    }
  });

  it('interpolates linearly between integer bits; gradient = neighbouring difference', () => {
    // w = 2.25 lies in [2, 3]: ⌈2/2⌉ = 1, ⌈3/2⌉ = 2 → 1.25; a = 5 (integer) uses [4, 5]: 2 → 3.
    const r = model.evaluate([fc], [{ w: [2.25], a: 5 }]);
    expect(r.total).toBe(30 * 1.25 * 3);
    expect(r.grad.w).toEqual([[30 * 1 * 3]]);
    expect(r.grad.a).toEqual([30 * 1.25 * 1]);
    // Flat segment [3, 4]: ⌈3/2⌉ = ⌈4/2⌉ = 2, so no gradient in w.
    expect(model.evaluate([fc], [{ w: [3.5], a: 5 }]).grad.w).toEqual([[0]]);
    // Between 0 and 1 bits the cost rises from 0 (pruned) to one brick.
    expect(model.evaluate([fc], [{ w: [0.5], a: 2 }]).total).toBe(30 * 0.5);
  });

  it('with 1-bit bricks it is exactly BitOps (bilinear interpolation of w·a is w·a)', () => {
    const bits = [{ w: [0.3, 2.7, 5.1, 7.9, 1], a: 3.4 }];
    const serial = bitserialModel({ brick: 1, unit: 'BrickOps' }).evaluate([conv], bits);
    const bitops = bitopsModel({ unit: 'BitOps' }).evaluate([conv], bits);
    expect(serial.total).toBeCloseTo(bitops.total, 9);
    serial.grad.w[0].forEach((g, o) => {
      expect(g).toBeCloseTo(bitops.grad.w[0][o], 9);
    });
  });

  it('gradients match finite differences away from integers', () => {
    expectGradientsMatch(
      bitserialModel(),
      [fc, conv, { ...fc, pinned: { a: 8 } }],
      [
        { w: [2.4], a: 5.3 },
        { w: [1.6, 2.2, 4.7, 0.4, 7.5], a: 6.8 },
        { w: [4.5], a: 1.5 },
      ],
    );
  });

  it('rejects a bad brick', () => {
    expect(() => bitserialModel({ brick: 0 })).toThrow(
      /bitserial: expected brick to be a positive integer, got 0/,
    );
  });
});
