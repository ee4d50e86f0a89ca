import { describe, expect, it } from 'vitest';
import {
  type Conv2dGeometry,
  col2imKernel,
  conv2dParams,
  convOutputSize,
  im2colKernel,
  instantiate,
  validRange,
} from '../src/index.js';

function geometry(
  c: number,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
): Conv2dGeometry {
  return {
    c,
    h,
    w,
    kh: k[0],
    kw: k[1],
    sh: s[0],
    sw: s[1],
    ph: p[0],
    pw: p[1],
    dh: d[0],
    dw: d[1],
    ho: convOutputSize(h, k[0], s[0], p[0], d[0]),
    wo: convOutputSize(w, k[1], s[1], p[1], d[1]),
  };
}

/** im2col by its definition, one element at a time. */
function im2colReference(x: Float32Array, g: Conv2dGeometry, n0: number, count: number): Float32Array {
  const P = g.ho * g.wo;
  const out = new Float32Array(count * g.c * g.kh * g.kw * P);
  let i = 0;
  for (let n = n0; n < n0 + count; n++)
    for (let c = 0; c < g.c; c++)
      for (let ky = 0; ky < g.kh; ky++)
        for (let kx = 0; kx < g.kw; kx++)
          for (let oy = 0; oy < g.ho; oy++)
            for (let ox = 0; ox < g.wo; ox++) {
              const iy = oy * g.sh - g.ph + ky * g.dh;
              const ix = ox * g.sw - g.pw + kx * g.dw;
              const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
              out[i++] = inside ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : 0;
            }
  return out;
}

const GEOMETRIES: [string, Conv2dGeometry][] = [
  ['3×3 pad 1', geometry(2, 5, 7, [3, 3], [1, 1], [1, 1], [1, 1])],
  ['stride 2, asymmetric pad', geometry(3, 7, 5, [3, 2], [2, 1], [1, 2], [1, 1])],
  ['dilation 2, stride 3', geometry(2, 9, 8, [2, 3], [1, 3], [0, 1], [2, 2])],
  ['1×1 input', geometry(1, 1, 1, [1, 1], [1, 1], [0, 0], [1, 1])],
  ['padding wider than the input reach', geometry(1, 2, 3, [5, 5], [2, 2], [2, 2], [1, 1])],
];

describe('conv/im2col and conv/col2im', () => {
  it('computes output sizes with PyTorch’s floor rule', () => {
    expect(convOutputSize(28, 5, 1, 2)).toBe(28);
    expect(convOutputSize(7, 3, 2, 1)).toBe(4);
    expect(convOutputSize(9, 2, 1, 0, 2)).toBe(7);
    expect(convOutputSize(5, 2, 2, 0)).toBe(2);
  });

  it('validRange matches a brute-force scan', () => {
    for (const [size, out, stride, pad, tap] of [
      [5, 5, 1, 2, 0],
      [5, 3, 2, 1, 4],
      [2, 1, 2, 2, 0],
      [3, 2, 3, 0, 1],
      [1, 3, 1, 1, 2],
    ]) {
      const inside = Array.from({ length: out }, (_, o) => o * stride - pad + tap).map(
        (v) => v >= 0 && v < size,
      );
      const [lo, hi] = validRange(size, out, stride, pad, tap);
      expect(inside).toEqual(Array.from({ length: out }, (_, o) => o >= lo && o < hi));
    }
  });

  it.each(GEOMETRIES)('im2col matches its definition (%s), on a sub-range of samples', (_, g) => {
    const N = 3;
    const x = Float32Array.from({ length: N * g.c * g.h * g.w }, (_, i) => i + 1);
    const expected = im2colReference(x, g, 1, 2);
    const col = new Float32Array(expected.length).fill(NaN);
    im2colKernel.cpu([x, col], conv2dParams(g, 1, 2), {});
    expect([...col]).toEqual([...expected]);
  });

  it.each(GEOMETRIES)('col2im is the exact adjoint of im2col (%s) and touches only its samples', (_, g) => {
    const N = 3;
    const rows = g.c * g.kh * g.kw * g.ho * g.wo;
    const col = Float32Array.from({ length: 2 * rows }, (_, i) => ((i * 7) % 13) - 6);
    const dx = new Float32Array(N * g.c * g.h * g.w).fill(5);
    col2imKernel.cpu([col, dx], conv2dParams(g, 1, 2), {});
    // Reference: scatter every col element back to where im2col read it from.
    const expected = new Float32Array(dx.length).fill(5);
    expected.fill(0, g.c * g.h * g.w);
    const index = im2colReference(
      Float32Array.from({ length: dx.length }, (_, i) => i + 1),
      g,
      1,
      2,
    );
    index.forEach((src, i) => {
      if (src > 0) expected[src - 1] += col[i];
    });
    expect([...dx]).toEqual([...expected]);
  });

  it('works on LeNet’s first layer shape (28×28, 5×5, pad 2)', () => {
    const g = geometry(1, 28, 28, [5, 5], [1, 1], [2, 2], [1, 1]);
    const x = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => i % 97);
    const col = new Float32Array(2 * 25 * 784);
    im2colKernel.cpu([x, col], conv2dParams(g, 0, 2), {});
    expect([...col]).toEqual([...im2colReference(x, g, 0, 2)]);
  });

  it('instantiates as WGSL within WebGPU limits', () => {
    for (const k of [im2colKernel, col2imKernel]) {
      const inst = instantiate(k);
      expect(inst.workgroupSize).toEqual([256, 1, 1]);
      expect(k.dispatch(conv2dParams(GEOMETRIES[0][1], 0, 100_000), {})[0]).toBeLessThanOrEqual(65535);
    }
  });
});
