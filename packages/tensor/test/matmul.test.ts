import { describe, expect, it } from 'vitest';
import {
  add,
  gradCheck,
  linear,
  matmul,
  reshape,
  slice,
  type Tensor,
  tensor,
  transpose,
} from '../src/index.js';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const wave = (shape: number[], phase = 0) =>
  tensor(
    Array.from({ length: size(shape) }, (_, i) => Math.sin(i * 1.37 + phase)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

/** Float64 reference product of row-major [m, k] and [k, n] arrays. */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
      out.push(s);
    }
  return out;
}

function expectClose(got: number[], expected: number[], k: number) {
  expect(got.length).toBe(expected.length);
  // GEMM tolerance (see packages/kernels/test/gemm.test.ts): 1e-6·K relative to the magnitudes.
  got.forEach((v, i) => {
    expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-6 * k * (1 + Math.abs(expected[i])));
  });
}

describe('matmul', () => {
  it('multiplies [2, 3]·[3, 2] exactly (hand values)', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(values(matmul(a, b))).toEqual([58, 64, 139, 154]);
  });

  it('matches a float64 reference on odd sizes', () => {
    const [m, k, n] = [7, 13, 5];
    const a = wave([m, k]);
    const b = wave([k, n], 1);
    expectClose(values(matmul(a, b)), reference(a.dataSync(), b.dataSync(), m, k, n), k);
  });

  it.each([
    [true, false],
    [false, true],
    [true, true],
  ])('transA %s / transB %s equals multiplying the materialised transposes', (ta, tb) => {
    const [m, k, n] = [5, 7, 3];
    const a = ta ? wave([k, m]) : wave([m, k]);
    const b = tb ? wave([n, k], 2) : wave([k, n], 2);
    const explicit = matmul(ta ? transpose(a, 0, 1) : a, tb ? transpose(b, 0, 1) : b);
    expect(values(matmul(a, b, { transA: ta, transB: tb }))).toEqual(values(explicit));
  });

  it('multiplies batches, broadcasting a batch of 1 or a plain matrix', () => {
    const [B, m, k, n] = [3, 4, 5, 2];
    const a = wave([B, m, k]);
    const b = wave([B, k, n], 1);
    const perBatch = (x: Tensor, y: Tensor) =>
      Array.from({ length: B }, (_, i) => {
        const xi = x.rank === 3 && x.shape[0] > 1 ? slice(x, [i, 0, 0], [i + 1, x.shape[1], x.shape[2]]) : x;
        const yi = y.rank === 3 && y.shape[0] > 1 ? slice(y, [i, 0, 0], [i + 1, y.shape[1], y.shape[2]]) : y;
        return values(matmul(reshape(xi, xi.shape.slice(-2)), reshape(yi, yi.shape.slice(-2))));
      }).flat();
    const batched = matmul(a, b);
    expect(batched.shape).toEqual([B, m, n]);
    expect(values(batched)).toEqual(perBatch(a, b));
    const a1 = wave([1, m, k], 3);
    expect(values(matmul(a1, b))).toEqual(perBatch(a1, b));
    const a2 = wave([m, k], 4);
    expect(matmul(a2, b).shape).toEqual([B, m, n]);
    expect(values(matmul(a2, b))).toEqual(perBatch(a2, b));
    const b2 = wave([k, n], 5);
    expect(values(matmul(a, b2))).toEqual(perBatch(a, b2));
  });

  it('rejects mismatched operands with the shapes in the message', () => {
    expect(() => matmul(wave([2, 3]), wave([4, 5]))).toThrow(
      /matmul: inner dimensions differ: a of #\d+ \[2, 3\] float32 has 3 columns, b of #\d+ \[4, 5\] float32 has 4 rows/,
    );
    expect(() => matmul(wave([2, 3]), wave([2, 5]), { transA: true })).not.toThrow();
    expect(() => matmul(wave([2, 3, 4]), wave([3, 4, 5]))).toThrow(
      /matmul: batch sizes of .*\[2, 3, 4\].* and .*\[3, 4, 5\].* cannot be broadcast/,
    );
    expect(() => matmul(wave([3]), wave([3, 1]))).toThrow(/matmul: expected a of rank 2 \(matrix\) or 3/);
  });

  describe('gradients (finite differences)', () => {
    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])('[M, K]·[K, N] with transA %s, transB %s', (ta, tb) => {
      const [m, k, n] = [3, 5, 7];
      const a = ta ? wave([k, m]) : wave([m, k]);
      const b = tb ? wave([n, k], 1) : wave([k, n], 1);
      expect(gradCheck((x, y) => matmul(x, y, { transA: ta, transB: tb }), [a, b]).failures).toEqual([]);
    });

    it.each([
      ['both batched', [3, 2, 5], [3, 5, 3]],
      ['a broadcast (plain matrix)', [2, 5], [3, 5, 3]],
      ['a broadcast (batch of 1)', [1, 2, 5], [3, 5, 3]],
      ['b broadcast (plain matrix)', [3, 2, 5], [5, 3]],
      ['b broadcast (batch of 1)', [3, 2, 5], [1, 5, 3]],
      ['batch of 1 with a plain matrix', [1, 2, 5], [5, 3]],
    ])('batched: %s', (_, sa, sb) => {
      const a = wave(sa as number[]);
      const b = wave(sb as number[], 2);
      expect(gradCheck((x, y) => matmul(x, y), [a, b]).failures).toEqual([]);
      expect(gradCheck((x, y) => matmul(x, y, { transA: true }), [transposeLast(a), b]).failures).toEqual([]);
      expect(gradCheck((x, y) => matmul(x, y, { transB: true }), [a, transposeLast(b)]).failures).toEqual([]);
    });
  });
});

/** Materialises the transpose of the last two axes (a fresh leaf). */
function transposeLast(t: Tensor): Tensor {
  const r = transpose(t, -1, -2);
  return tensor(r.dataSync(), r.shape);
}

describe('linear', () => {
  const x = wave([5, 3]);
  const w = wave([4, 3], 1);
  const b = wave([4], 2);

  it('computes x·Wᵀ + b (bias fused in the GEMM)', () => {
    const y = linear(x, w, b);
    expect(y.shape).toEqual([5, 4]);
    const expected = add(matmul(x, w, { transB: true }), b);
    expectClose(values(y), values(expected), 3);
    expect(values(linear(x, w))).toEqual(values(matmul(x, w, { transB: true })));
  });

  it('flattens and restores leading axes', () => {
    const x3 = wave([2, 5, 3]);
    const y = linear(x3, w, b);
    expect(y.shape).toEqual([2, 5, 4]);
    expect(values(y)).toEqual(values(linear(reshape(x3, [10, 3]), w, b)));
  });

  it('passes gradient checks with and without bias', () => {
    expect(gradCheck((xx, ww, bb) => linear(xx, ww, bb), [x, w, b]).failures).toEqual([]);
    expect(gradCheck((xx, ww) => linear(xx, ww), [x, w]).failures).toEqual([]);
    expect(gradCheck((xx, ww, bb) => linear(xx, ww, bb), [wave([2, 3, 3]), w, b]).failures).toEqual([]);
  });

  it('rejects mismatched weights and biases naming the shapes', () => {
    expect(() => linear(x, wave([4, 2]))).toThrow(
      /linear: weight .*\[4, 2\].* does not match input .*\[5, 3\].*: expected \[out, 3\]/,
    );
    expect(() => linear(x, w, wave([3]))).toThrow(
      /linear: bias .*\[3\].* does not match weight .*\[4, 3\].*: expected \[4\]/,
    );
    expect(() => linear(wave([3]), w)).toThrow(/linear: expected input \[N, in\]/);
  });
});
