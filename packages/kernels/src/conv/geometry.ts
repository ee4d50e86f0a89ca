import type { Params } from '../descriptor.js';

/**
 * The geometry of a 2-D convolution (or of its im2col step) on one input sample: input channels
 * and size, kernel, stride, padding, dilation and the resulting output size. Groups do not enter:
 * im2col lays out all channels, and the GEMM picks each group's rows by stride.
 */
export interface Conv2dGeometry {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly ho: number;
  readonly wo: number;
}

/** Output length of a convolution/pooling window along one axis (PyTorch's floor rule). */
export function convOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation = 1,
): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Params of `conv/im2col` and `conv/col2im` for samples [n0, n0 + count). */
export function conv2dParams(g: Conv2dGeometry, n0: number, count: number): Params {
  return { n0, count, ...g };
}

/**
 * The output-position range [lo, hi) whose input coordinate `o·stride − pad + tap` lies inside
 * [0, size): used by the CPU twins to run branch-free inner loops.
 */
export function validRange(
  size: number,
  outSize: number,
  stride: number,
  pad: number,
  tap: number,
): [number, number] {
  const shift = pad - tap; // input = o·stride − shift
  const lo = shift > 0 ? Math.ceil(shift / stride) : 0;
  const hi = Math.min(outSize, Math.floor((size - 1 + shift) / stride) + 1);
  return hi > lo ? [lo, hi] : [0, 0];
}
