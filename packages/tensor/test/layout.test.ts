import { describe, expect, it } from 'vitest';
import { concat, gradCheck, pad, permute, slice, type Tensor, tensor, transpose } from '../src/index.js';

const iota = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
    { dtype },
  );
const wave = (shape: number[]) =>
  tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.37 + 0.2)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

describe('permute and transpose', () => {
  it('transposes a [2, 3] matrix', () => {
    const y = transpose(iota([2, 3]), 0, 1);
    expect(y.shape).toEqual([3, 2]);
    expect(values(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('permutes a rank-6 tensor with odd sizes (checked element by element)', () => {
    const shape = [2, 3, 1, 5, 2, 3];
    const dims = [3, 0, 5, 2, 4, 1];
    const y = permute(iota(shape), dims);
    expect(y.shape).toEqual(dims.map((d) => shape[d]));
    const strides = [90, 30, 30, 6, 3, 1];
    const got = values(y);
    let i = 0;
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 2; b++)
        for (let c = 0; c < 3; c++)
          for (let d = 0; d < 1; d++)
            for (let e = 0; e < 2; e++)
              for (let f = 0; f < 3; f++) {
                // output index (a, b, c, d, e, f) reads input axes (3, 0, 5, 2, 4, 1)
                const src =
                  a * strides[3] +
                  b * strides[0] +
                  c * strides[5] +
                  d * strides[2] +
                  e * strides[4] +
                  f * strides[1];
                expect(got[i++]).toBe(src);
              }
  });

  it('accepts negative dims and int32 tensors', () => {
    const y = permute(iota([2, 1, 3], 'int32'), [-1, 0, 1]);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([3, 2, 1]);
    expect(values(y)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(values(transpose(iota([2, 3]), -1, -2))).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('rejects dims that are not a permutation', () => {
    expect(() => permute(iota([2, 3]), [0, 0])).toThrow(
      /permute: dims \[0, 0\] are not a permutation of the 2 axes/,
    );
    expect(() => permute(iota([2, 3]), [1])).toThrow(/permute: dims \[1\]/);
    expect(() => transpose(iota([2, 3]), 0, 2)).toThrow(/transpose: axis 2 out of range for rank 2/);
  });

  it('pass gradient checks', () => {
    expect(gradCheck((t) => permute(t, [2, 0, 3, 1]), [wave([3, 1, 5, 2])]).failures).toEqual([]);
    expect(gradCheck((t) => transpose(t, 0, 2), [wave([3, 2, 5])]).failures).toEqual([]);
  });
});

describe('slice', () => {
  it('slices with starts, ends and steps', () => {
    const x = iota([5, 7]);
    const y = slice(x, [1, 2], [5, 7], [2, 3]);
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([9, 12, 23, 26]);
  });

  it('counts negative indices from the end, clamps, and takes missing axes whole', () => {
    const x = iota([4, 3]);
    expect(values(slice(x, [-3], [-1]))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(values(slice(x, [0, 1], [100, 100]))).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
    expect(slice(x, [3], [1]).shape).toEqual([0, 3]);
    expect(values(slice(iota([7]), [0], [7], [3]))).toEqual([0, 3, 6]);
    expect(values(slice(iota([3, 2], 'int32'), [2], [3]))).toEqual([4, 5]);
  });

  it('rejects bad steps and too many entries', () => {
    expect(() => slice(iota([3]), [0], [3], [0])).toThrow(/slice: step 0 on axis 0 must be an integer ≥ 1/);
    expect(() => slice(iota([3]), [0, 0], [3, 3])).toThrow(
      /slice: starts \[0, 0\].*more entries than the 1 axes/,
    );
    expect(() => slice(iota([3]), [0.5], [3])).toThrow(/slice: start 0.5 on axis 0 must be an integer/);
  });

  it('passes gradient checks (steps, offsets, odd shapes)', () => {
    expect(gradCheck((t) => slice(t, [1, 0, 2], [5, 3, 7], [3, 2, 2]), [wave([5, 3, 7])]).failures).toEqual(
      [],
    );
    expect(gradCheck((t) => slice(t, [-2], [7]), [wave([7, 3])]).failures).toEqual([]);
  });
});

describe('pad', () => {
  it('pads with a constant before and after each axis', () => {
    const y = pad(
      tensor([1, 2, 3, 4], [2, 2]),
      [
        [1, 0],
        [0, 2],
      ],
      -1,
    );
    expect(y.shape).toEqual([3, 4]);
    // biome-ignore format: a matrix
    expect(values(y)).toEqual([
      -1, -1, -1, -1,
      1, 2, -1, -1,
      3, 4, -1, -1,
    ]);
  });

  it('pads the spatial axes of [N, C, H, W] and keeps int32 values', () => {
    const y = pad(iota([1, 2, 1, 1]), [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expect(values(y)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const z = pad(iota([2], 'int32'), [[2, 1]], -5);
    expect(z.dtype).toBe('int32');
    expect(values(z)).toEqual([-5, -5, 0, 1, -5]);
  });

  it('accepts -Infinity for float32 (e.g. before a max pool)', () => {
    expect(values(pad(tensor([3]), [[1, 0]], -Infinity))).toEqual([-Infinity, 3]);
  });

  it('rejects wrong pairs, negative pads and non-integer values for int32', () => {
    expect(() => pad(iota([2, 2]), [[1, 1]])).toThrow(/pad: expected 2 \[before, after\] pairs/);
    expect(() => pad(iota([2]), [[-1, 0]])).toThrow(
      /pad: padding \[-1, 0\] on axis 0 must be non-negative integers/,
    );
    expect(() => pad(iota([2], 'int32'), [[1, 0]], 0.5)).toThrow(/pad: value 0.5 cannot be stored/);
  });

  it('passes a gradient check', () => {
    const f = (t: Tensor) =>
      pad(
        t,
        [
          [1, 2],
          [0, 3],
          [2, 0],
        ],
        0.75,
      );
    expect(gradCheck(f, [wave([3, 1, 5])]).failures).toEqual([]);
  });
});

describe('concat', () => {
  it('joins along the first and the last axis', () => {
    const a = iota([1, 2]);
    const b = tensor([10, 11, 12, 13], [2, 2]);
    expect(values(concat([a, b], 0))).toEqual([0, 1, 10, 11, 12, 13]);
    const c = tensor([7, 8, 9, 10, 11, 12], [2, 3]);
    const y = concat([b, c], -1);
    expect(y.shape).toEqual([2, 5]);
    expect(values(y)).toEqual([10, 11, 7, 8, 9, 12, 13, 10, 11, 12]);
  });

  it('handles empty parts and int32 tensors', () => {
    const y = concat([iota([2, 0], 'int32'), iota([2, 1], 'int32'), iota([2, 2], 'int32')], 1);
    expect(y.dtype).toBe('int32');
    expect(values(y)).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it('rejects mismatched shapes, dtypes and an empty list', () => {
    expect(() => concat([iota([2, 3]), iota([3, 3])], 1)).toThrow(
      /concat: along axis 1 every tensor needs float32 and shape \[2, \*\]/,
    );
    expect(() => concat([iota([2]), iota([2], 'int32')], 0)).toThrow(/concat: .* got #\d+ \[2\] int32/);
    expect(() => concat([], 0)).toThrow(/concat: needs at least one tensor/);
    expect(() => concat([iota([2])], 1)).toThrow(/concat: axis 1 out of range for rank 1/);
  });

  it('passes a gradient check along a middle axis', () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => concat([a, b, c], 1);
    expect(gradCheck(f, [wave([3, 1, 5]), wave([3, 4, 5]), wave([3, 2, 5])]).failures).toEqual([]);
  });

  it('gives gradients only to inputs that require them', () => {
    const f = (a: Tensor, b: Tensor) => concat([a, b], 0);
    expect(gradCheck(f, [wave([2, 3]), wave([1, 3])], { check: [1] }).failures).toEqual([]);
  });
});
