import { describe, expect, it } from 'vitest';
import {
  abs,
  backward,
  ceil,
  clamp,
  exp,
  floor,
  gradCheck,
  log,
  powScalar,
  Rng,
  reciprocal,
  relu,
  relu6,
  round,
  sigmoid,
  sign,
  sqrt,
  square,
  sum,
  type Tensor,
  tanh,
  tensor,
} from '../src/index.js';

/** n values in [lo, hi] at least `margin` away from every kink (finite differences need that). */
function sample(shape: number[], lo: number, hi: number, kinks: number[] = [], seed = 7): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  while (values.length < n) {
    const v = rng.uniformRange(lo, hi);
    if (kinks.every((k) => Math.abs(v - k) > 0.05)) values.push(v);
  }
  return tensor(values, shape);
}

const values = (t: Tensor) => [...t.dataSync()];

describe('rounding functions (exact)', () => {
  const x = tensor([2.5, -2.5, 3.5, -3.5, 0.5, 1.5, 2.4999998, -0.7, 7, 1e7 + 1]);

  it('round is half-to-even', () => {
    expect(values(round(x))).toEqual([2, -2, 4, -4, 0, 2, 2, -1, 7, 1e7 + 1]);
    expect(Object.is(round(tensor([-0.5])).dataSync()[0], -0)).toBe(true);
  });

  it('floor and ceil', () => {
    expect(values(floor(x))).toEqual([2, -3, 3, -4, 0, 1, 2, -1, 7, 1e7 + 1]);
    expect(values(ceil(x))).toEqual([3, -2, 4, -3, 1, 2, 3, -0, 7, 1e7 + 1]);
  });

  it('sign gives -1, 0, 1 and keeps NaN', () => {
    const s = values(sign(tensor([3, -0.1, 0, -7, Number.NaN])));
    expect(s.slice(0, 4)).toEqual([1, -1, 0, -1]);
    expect(Number.isNaN(s[4])).toBe(true);
  });

  it('pass no gradient', () => {
    for (const f of [round, floor, ceil, sign]) {
      const t = tensor([0.3, 1.7, -2.2], [3], { requiresGrad: true });
      backward(sum(f(t)));
      expect(t.grad).toBeNull();
    }
  });
});

describe('elementwise forward values', () => {
  it('match their definitions on an odd-sized tensor', () => {
    const x = sample([3, 7], 0.1, 4);
    const xs = values(x);
    const close = (t: Tensor, f: (v: number) => number) =>
      values(t).forEach((v, i) => {
        expect(v).toBeCloseTo(f(xs[i]), 5);
      });
    close(tanh(x), Math.tanh);
    close(sigmoid(x), (v) => 1 / (1 + Math.exp(-v)));
    close(exp(x), Math.exp);
    close(log(x), Math.log);
    close(sqrt(x), Math.sqrt);
    close(square(x), (v) => v * v);
    close(reciprocal(x), (v) => 1 / v);
    close(powScalar(x, 2.5), (v) => v ** 2.5);
    close(relu6(x), (v) => Math.min(v, 6));
  });

  it('relu, relu6, clamp and abs on both sides of their kinks', () => {
    const x = tensor([-3, -0.5, 0, 0.5, 6, 6.5]);
    expect(values(relu(x))).toEqual([0, 0, 0, 0.5, 6, 6.5]);
    expect(values(relu6(x))).toEqual([0, 0, 0, 0.5, 6, 6]);
    expect(values(clamp(x, -1, 0.25))).toEqual([-1, -0.5, 0, 0.25, 0.25, 0.25]);
    expect(values(abs(x))).toEqual([3, 0.5, 0, 0.5, 6, 6.5]);
  });

  it('powScalar keeps the sign of negative inputs for odd integer exponents', () => {
    expect(values(powScalar(tensor([-2, 3, -1.5]), 3))).toEqual([-8, 27, -3.375]);
    expect(values(powScalar(tensor([-2, 3]), 2))).toEqual([4, 9]);
  });

  it('reject bad parameters with the function name', () => {
    const x = tensor([1, 2]);
    expect(() => clamp(x, 2, 1)).toThrow(/clamp: the lower bound 2 is above the upper bound 1/);
    expect(() => clamp(x, Number.NaN, 1)).toThrow(/clamp: the lower bound must be a finite number, got NaN/);
    expect(() => powScalar(x, Infinity)).toThrow(/powScalar: the exponent must be a finite number/);
    expect(() => relu(tensor([1], [1], { dtype: 'int32' }))).toThrow(/relu: expected a float32 tensor/);
  });
});

describe('elementwise gradients (finite differences, odd shapes, away from kinks)', () => {
  it.each([
    ['relu', relu, -3, 3, [0]],
    ['relu6', relu6, -2, 8, [0, 6]],
    ['clamp', (t: Tensor) => clamp(t, -0.5, 0.7), -2, 2, [-0.5, 0.7]],
    ['tanh', tanh, -2, 2, []],
    ['sigmoid', sigmoid, -4, 4, []],
    ['abs', abs, -3, 3, [0]],
    ['exp', exp, -2, 2, []],
    ['log', log, 0.3, 4, []],
    ['sqrt', sqrt, 0.3, 4, []],
    ['square', square, -3, 3, []],
    ['reciprocal', reciprocal, 0.5, 3, []],
    ['powScalar 2.5', (t: Tensor) => powScalar(t, 2.5), 0.3, 2, []],
    ['powScalar 3 (negative inputs)', (t: Tensor) => powScalar(t, 3), -2, 2, []],
  ] as [string, (t: Tensor) => Tensor, number, number, number[]][])('%s', (_, f, lo, hi, kinks) => {
    const x = sample([3, 5, 1], lo, hi, kinks);
    const r = gradCheck(f, [x]);
    expect(r.failures).toEqual([]);
  });
});
