import { describe, expect, it } from 'vitest';
import { gradCheck, logSoftmax, softmax, sum, type Tensor, tensor } from '../src/index.js';

const wave = (shape: number[], scale = 2) =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(i * 1.37 + 0.2)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

describe('softmax and logSoftmax', () => {
  it('compute exp(x)/Σexp(x) over the last axis by default', () => {
    const y = softmax(tensor([0, Math.log(3), 1, 1], [2, 2]));
    values(y).forEach((v, i) => {
      expect(v).toBeCloseTo([0.25, 0.75, 0.5, 0.5][i], 6);
    });
    values(logSoftmax(tensor([0, Math.log(3)], [1, 2]))).forEach((v, i) => {
      expect(v).toBeCloseTo(Math.log([0.25, 0.75][i]), 6);
    });
  });

  it('normalise along a middle axis of an odd shape', () => {
    const x = wave([3, 5, 7]);
    const s = values(sum(softmax(x, 1), 1));
    expect(s).toHaveLength(21);
    s.forEach((v) => {
      expect(v).toBeCloseTo(1, 6);
    });
    const y = values(softmax(x, 1));
    const l = values(logSoftmax(x, -2));
    l.forEach((v, i) => {
      expect(v).toBeCloseTo(Math.log(y[i]), 5);
    });
  });

  it('are stable for large inputs', () => {
    const y = values(softmax(tensor([1e4, 1e4 + 1, -1e4])));
    expect(y[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    expect(y[2]).toBe(0);
    expect(values(logSoftmax(tensor([1e4, 1e4])))).toEqual([-Math.fround(Math.LN2), -Math.fround(Math.LN2)]);
  });

  it('reject bad axes and non-float inputs', () => {
    expect(() => softmax(wave([2, 3]), 2)).toThrow(/softmax: axis 2 out of range/);
    expect(() => logSoftmax(tensor([1], [1], { dtype: 'int32' }))).toThrow(
      /logSoftmax: expected a float32 tensor/,
    );
  });

  it.each([
    ['softmax', softmax],
    ['logSoftmax', logSoftmax],
  ])('%s passes gradient checks on every axis of [3, 5, 2]', (_, f) => {
    const x = wave([3, 5, 2]);
    for (const axis of [0, 1, 2]) {
      expect(gradCheck((t) => f(t, axis), [x]).failures).toEqual([]);
    }
  });
});
