import { describe, expect, it } from 'vitest';
import {
  backward,
  type Conv2dOptions,
  conv2d,
  gradCheck,
  mul,
  slice,
  sum,
  type Tensor,
  tensor,
} from '../src/index.js';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const wave = (shape: number[], phase = 0) =>
  tensor(
    Array.from({ length: size(shape) }, (_, i) => Math.sin(i * 1.37 + phase)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];
const pair = (v: number | readonly [number, number] | undefined, d: number) =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** Direct float64 convolution by its definition (PyTorch semantics). */
function reference(x: Tensor, w: Tensor, b: Tensor | null, o: Conv2dOptions) {
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const [sh, sw] = pair(o.stride, 1);
  const [ph, pw] = pair(o.padding, 0);
  const [dh, dw] = pair(o.dilation, 1);
  const G = o.groups ?? 1;
  const Ho = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const xs = x.dataSync();
  const ws = w.dataSync();
  const bs = b?.dataSync();
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / (O / G));
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let s = bs ? bs[oc] : 0;
          for (let c = 0; c < Cg; c++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh - ph + ky * dh;
                const ix = ox * sw - pw + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += xs[((n * C + g * Cg + c) * H + iy) * W + ix] * ws[((oc * Cg + c) * kh + ky) * kw + kx];
              }
          out.push(s);
        }
    }
  return { shape: [N, O, Ho, Wo], values: out };
}

// [name, x shape, w shape, options, bias]
const CASES: [string, number[], number[], Conv2dOptions, boolean][] = [
  ['3×3, padding 1, bias', [2, 3, 5, 6], [4, 3, 3, 3], { padding: 1 }, true],
  ['stride 2, odd sizes', [2, 2, 7, 5], [3, 2, 3, 2], { stride: 2, padding: [1, 0] }, true],
  ['dilation 2', [1, 2, 7, 7], [2, 2, 3, 3], { dilation: 2, padding: 2 }, false],
  ['groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, padding: 1, stride: [1, 2] }, true],
  ['depthwise (groups = C)', [2, 3, 6, 5], [3, 1, 3, 3], { groups: 3, padding: 1, stride: 2 }, true],
  ['depthwise with multiplier 2', [1, 2, 5, 5], [4, 1, 3, 3], { groups: 2, padding: 1 }, false],
  ['1×1 pointwise (no im2col)', [2, 5, 3, 4], [3, 5, 1, 1], {}, true],
  [
    'batch 1, 5×5 kernel, all hyper-parameters',
    [1, 2, 9, 8],
    [2, 1, 5, 3],
    { stride: [2, 1], padding: [2, 1], dilation: [1, 2], groups: 2 },
    true,
  ],
];

describe('conv2d', () => {
  it('computes a hand-checked 1-channel example exactly', () => {
    // x = 1..9 as 3×3, w = [[1, 0], [0, -1]] → x[i][j] − x[i+1][j+1] = −4 everywhere, plus bias 1.
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = tensor([1, 0, 0, -1], [1, 1, 2, 2]);
    const y = conv2d(x, w, tensor([1]));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([-3, -3, -3, -3]);
    // padding 1: corners see one tap
    const yp = conv2d(x, w, null, { padding: 1 });
    expect(yp.shape).toEqual([1, 1, 4, 4]);
    expect(values(yp).slice(0, 4)).toEqual([-1, -2, -3, 0]);
  });

  it.each(CASES)('matches the direct definition: %s', (_, xs, wsh, options, withBias) => {
    const x = wave(xs);
    const w = wave(wsh, 1);
    const b = withBias ? wave([wsh[0]], 2) : null;
    const y = conv2d(x, w, b, options);
    const ref = reference(x, w, b, options);
    expect(y.shape).toEqual(ref.shape);
    const k = wsh[1] * wsh[2] * wsh[3];
    values(y).forEach((v, i) => {
      expect(Math.abs(v - ref.values[i])).toBeLessThanOrEqual(1e-6 * k * (1 + Math.abs(ref.values[i])));
    });
  });

  it.each(CASES)('passes gradient checks in x, w and bias: %s', (_, xs, wsh, options, withBias) => {
    const inputs = [wave(xs), wave(wsh, 1)];
    if (withBias) inputs.push(wave([wsh[0]], 2));
    const r = gradCheck((x, w, b) => conv2d(x, w, b, options), inputs, { maxChecks: 24 });
    expect(r.failures).toEqual([]);
  });

  it('processes large batches in im2col chunks: the weight gradient sums across chunks', () => {
    // 25·784 im2col elements per sample: 111 samples exceed one 2²¹-element chunk (106 samples);
    // the weight gradient sums 2 samples per partial, the second chunk leaving a remainder of 1.
    const x = wave([111, 1, 28, 28]);
    const w = tensor(wave([2, 1, 5, 5], 1).dataSync(), [2, 1, 5, 5], { requiresGrad: true });
    const seed = wave([111, 2, 28, 28], 3);
    // dL/dw for L = Σ conv(x[n0:n1])·seed[n0:n1]
    const weightGrad = (n0: number, n1: number) => {
      w.grad = null;
      const y = conv2d(slice(x, [n0, 0, 0, 0], [n1, 1, 28, 28]), w, null, { padding: 2 });
      backward(sum(mul(y, slice(seed, [n0, 0, 0, 0], [n1, 2, 28, 28]))));
      return values(w.grad!);
    };
    const whole = weightGrad(0, 111);
    const first = weightGrad(0, 60);
    const rest = weightGrad(60, 111);
    whole.forEach((v, i) => {
      expect(v).toBeCloseTo(first[i] + rest[i], 2);
    });
  });

  it('rejects bad layer shapes, naming them', () => {
    const x = wave([2, 4, 5, 5]);
    expect(() => conv2d(x, wave([6, 3, 3, 3]))).toThrow(
      /conv2d: weight expects 3 input channels per group, input has 4\/1 = 4 \(input \[2, 4, 5, 5\], weight \[6, 3, 3, 3\], groups 1\)/,
    );
    expect(() => conv2d(x, wave([6, 1, 3, 3]), null, { groups: 3 })).toThrow(
      /conv2d: groups 3 must divide input channels 4 and output channels 6/,
    );
    expect(() => conv2d(x, wave([6, 4, 7, 7]))).toThrow(
      /conv2d: kernel 7×7 with dilation 1×1 does not fit input 5×5 padded by 0×0/,
    );
    expect(() => conv2d(x, wave([6, 4, 3, 3]), wave([5]))).toThrow(/conv2d: bias .*\[5\].* must be \[6\]/);
    expect(() => conv2d(wave([4, 5, 5]), wave([6, 4, 3, 3]))).toThrow(
      /conv2d: expected input \[N, C, H, W\], got .*\[4, 5, 5\]/,
    );
    expect(() => conv2d(x, wave([6, 4, 3, 3]), null, { stride: 0 })).toThrow(
      /conv2d: stride must be an integer ≥ 1/,
    );
  });
});
