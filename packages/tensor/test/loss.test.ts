import { describe, expect, it } from 'vitest';
import {
  argmax,
  backward,
  crossEntropy,
  gradCheck,
  logSoftmax,
  nllLoss,
  oneHot,
  softmax,
  type Tensor,
  tensor,
} from '../src/index.js';

const labels = (v: number[]) => tensor(v, [v.length], { dtype: 'int32' });
const wave = (shape: number[], scale = 2) =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => scale * Math.sin(i * 1.37 + 0.2)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

/** log Σ exp(row) − row[t], in double precision. */
function reference(x: number[], classes: number, t: number[]): number[] {
  return t.map((label, n) => {
    const row = x.slice(n * classes, (n + 1) * classes);
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[label];
  });
}

describe('crossEntropy', () => {
  const x = wave([5, 3]);
  const t = [2, 0, 1, 1, 2];
  const want = reference(values(x), 3, t);

  it('matches log-sum-exp minus the target logit, with each reduction', () => {
    values(crossEntropy(x, labels(t), { reduction: 'none' })).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i], 5);
    });
    expect(crossEntropy(x, labels(t), { reduction: 'sum' }).itemSync()).toBeCloseTo(
      want.reduce((a, b) => a + b),
      5,
    );
    expect(crossEntropy(x, labels(t)).itemSync()).toBeCloseTo(want.reduce((a, b) => a + b) / 5, 5);
  });

  it('gives log C for uniform logits', () => {
    expect(crossEntropy(tensor(new Array(14).fill(3), [2, 7]), labels([0, 6])).itemSync()).toBeCloseTo(
      Math.log(7),
      6,
    );
  });

  it('has the gradient (softmax − onehot)/N for the mean', () => {
    const logits = tensor(values(x), [5, 3], { requiresGrad: true });
    backward(crossEntropy(logits, labels(t)));
    const p = values(softmax(x));
    values(logits.grad!).forEach((g, i) => {
      const n = Math.floor(i / 3);
      expect(g).toBeCloseTo((p[i] - (i % 3 === t[n] ? 1 : 0)) / 5, 6);
    });
  });

  it.each(['mean', 'sum', 'none'] as const)('passes a gradient check w.r.t. the logits (%s)', (reduction) => {
    const r = gradCheck(
      (l, y) => crossEntropy(l, y, { reduction }),
      [wave([7, 5]), labels([4, 0, 1, 3, 3, 2, 0])],
    );
    expect(r.failures).toEqual([]);
  });

  it('rejects out-of-range labels on CPU tensors, wrong dtypes and shapes', () => {
    expect(() => crossEntropy(x, labels([2, 0, 3, 1, 2]))).toThrow(
      /crossEntropy: label 3 at index 2 is out of range for 3 classes/,
    );
    expect(() => crossEntropy(x, labels([2, 0, -1, 1, 2]))).toThrow(/label -1 at index 2/);
    expect(() => crossEntropy(x, tensor([0, 0, 0, 0, 0]))).toThrow(
      /crossEntropy: expected int32 labels, got #\d+ \[5\] float32/,
    );
    expect(() => crossEntropy(x, labels([0, 0]))).toThrow(/crossEntropy: expected labels \[5\]/);
    expect(() => crossEntropy(wave([5]), labels([0]))).toThrow(/crossEntropy: expected scores \[N, C\]/);
    expect(() => crossEntropy(x, labels(t), { reduction: 'avg' as never })).toThrow(
      /crossEntropy: reduction must be 'mean', 'sum' or 'none', got 'avg'/,
    );
  });
});

describe('nllLoss', () => {
  it('equals crossEntropy after logSoftmax, values and gradients', () => {
    const x = wave([4, 6]);
    const t = labels([5, 0, 2, 2]);
    expect(nllLoss(logSoftmax(x), t).itemSync()).toBeCloseTo(crossEntropy(x, t).itemSync(), 6);
    expect(
      values(nllLoss(tensor([-0.5, -2, -0.1, -3], [2, 2]), labels([1, 0]), { reduction: 'none' })),
    ).toEqual([2, Math.fround(0.1)]);
    expect(gradCheck((l) => nllLoss(logSoftmax(l), t, { reduction: 'sum' }), [x]).failures).toEqual([]);
  });

  it('validates labels like crossEntropy', () => {
    expect(() => nllLoss(wave([2, 3]), labels([0, 3]))).toThrow(
      /nllLoss: label 3 at index 1 is out of range for 3 classes/,
    );
  });
});

describe('argmax', () => {
  it('returns int32 indices along an axis, first index on ties', () => {
    const x = tensor([1, 5, 5, -2, 0, 7], [2, 3]);
    const a = argmax(x);
    expect(a.dtype).toBe('int32');
    expect(a.shape).toEqual([2]);
    expect(values(a)).toEqual([1, 2]);
    expect(values(argmax(x, 0))).toEqual([0, 0, 1]);
    expect(argmax(x, 1, true).shape).toEqual([2, 1]);
  });

  it('works along a middle axis of an odd shape and has no gradient', () => {
    const x = wave([3, 5, 2]);
    const xs = values(x);
    const a = values(argmax(x, 1));
    for (let o = 0; o < 3; o++) {
      for (let k = 0; k < 2; k++) {
        const column = [0, 1, 2, 3, 4].map((j) => xs[o * 10 + j * 2 + k]);
        expect(a[o * 2 + k]).toBe(column.indexOf(Math.max(...column)));
      }
    }
    const g = tensor([1, 2, 3], [3], { requiresGrad: true });
    expect(argmax(g, 0).requiresGrad).toBe(false);
  });

  it('rejects empty axes and bad axes', () => {
    expect(() => argmax(tensor([], [2, 0]), 1)).toThrow(/argmax: axis 1 of .* is empty/);
    expect(() => argmax(tensor([1, 2]), 1)).toThrow(/argmax: axis 1 out of range/);
  });
});

describe('oneHot', () => {
  it('encodes int32 labels as float32 rows', () => {
    const y = oneHot(labels([2, 0, 1]), 3);
    expect(y.shape).toEqual([3, 3]);
    expect(y.dtype).toBe('float32');
    expect(values(y)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(values(oneHot(labels([5, -1]), 2))).toEqual([0, 0, 0, 0]);
  });

  it('rejects non-int32 labels and bad class counts', () => {
    expect(() => oneHot(tensor([1]), 2)).toThrow(/oneHot: expected int32 labels/);
    expect(() => oneHot(labels([1]), 0)).toThrow(/oneHot: classes must be an integer ≥ 1, got 0/);
  });
});
