import { describe, expect, it } from 'vitest';
import { bitopsModel, penalty, sizeModel } from '../src/index.js';
import { lenet5 } from './fixtures.js';

const layers = lenet5();
const bits = [
  { w: [8], a: 8 },
  { w: [2.7], a: 2.3 },
  { w: Array.from({ length: 120 }, (_, o) => 2 + (o % 7) * 0.3), a: 3.9 },
  { w: [2.5], a: 1.5 },
  { w: [8], a: 2.2 },
];

describe('penalty', () => {
  const bitops = bitopsModel({ unit: 'MBitOps' });
  const size = sizeModel({ unit: 'kB' });

  it('sums κ·|c − T| with gradient κ·sign(c − T)·∂c', () => {
    const cb = bitops.evaluate(layers, bits);
    const cs = size.evaluate(layers, bits);
    const over = cb.total - 0.5; // bitops over budget → +
    const under = cs.total + 2; // size under budget → −
    const r = penalty(
      [
        { model: bitops, target: over, kappa: 1 },
        { model: size, target: under, kappa: 0.25 },
      ],
      layers,
      bits,
    );
    expect(r.value).toBeCloseTo(0.5 + 0.25 * 2, 9);
    r.grad.w.forEach((gw, l) => {
      gw.forEach((g, o) => {
        expect(g).toBeCloseTo(cb.grad.w[l][o] - 0.25 * cs.grad.w[l][o], 12);
      });
    });
    r.grad.a.forEach((g, l) => {
      expect(g).toBeCloseTo(cb.grad.a[l], 12);
    });
    expect(r.constraints.map((c) => [c.name, c.unit, c.kappa])).toEqual([
      ['bitops', 'MBitOps', 1],
      ['size', 'kB', 0.25],
    ]);
    expect(r.constraints[0].ratio).toBeCloseTo(cb.total / over, 12);
    expect(r.constraints[1].value).toBeCloseTo(0.5, 9);
  });

  it('value matches finite differences (away from c = T) and is 0 with 0 gradient at equality', () => {
    const target = bitops.evaluate(layers, bits).total;
    const at = penalty([{ model: bitops, target, kappa: 3 }], layers, bits);
    expect(at.value).toBe(0);
    expect(at.grad.w.flat().every((g) => g === 0)).toBe(true);
    const constraints = [{ model: bitops, target: target * 1.1, kappa: 3 }];
    const r = penalty(constraints, layers, bits);
    const h = 1e-4;
    const shifted = (d: number) =>
      bits.map((b, l) => (l === 2 ? { w: b.w.map((x, o) => (o === 5 ? x + d : x)), a: b.a } : b));
    const numeric =
      (penalty(constraints, layers, shifted(h)).value - penalty(constraints, layers, shifted(-h)).value) /
      (2 * h);
    expect(r.grad.w[2][5]).toBeCloseTo(numeric, 8);
    expect(r.grad.w[2][5]).toBeLessThan(0); // under budget: pushes bits up
  });

  it('no constraints: zero; bad constraints: clear errors', () => {
    const r = penalty([], layers, bits);
    expect(r.value).toBe(0);
    expect(r.grad.a).toEqual([0, 0, 0, 0, 0]);
    expect(() => penalty([{ model: bitops, target: 0, kappa: 1 }], layers, bits)).toThrow(
      /penalty: constraint 0 \('bitops'\): expected a positive target, got 0/,
    );
    expect(() => penalty([{ model: bitops, target: 1, kappa: -1 }], layers, bits)).toThrow(
      /expected kappa ≥ 0, got -1/,
    );
  });
});
