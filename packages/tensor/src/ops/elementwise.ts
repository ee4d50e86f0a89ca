/**
 * Named elementwise functions. Each is one launch of the `elementwise/unary` kernel through
 * `unary()`, whose op record (in binary.ts) holds the gradient rules; these names only give the
 * functions a direct API and validate their parameters.
 */
import type { Tensor } from '../tensor.js';
import { unary } from './binary.js';

/** max(x, 0); the gradient is 0 at x = 0. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** min(max(x, 0), 6); the gradient is 1 on (0, 6] and 0 elsewhere. */
export const relu6 = (x: Tensor): Tensor => unary('relu6', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** 1 / (1 + e^−x) */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** |x|; the gradient is sign(x) (0 at 0). */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** −1, 0 or 1; not differentiable (no gradient flows). */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Not differentiable (no gradient flows). */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Not differentiable (no gradient flows). */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Round half to even (2.5 → 2, −2.5 → −2, 3.5 → 4), as WGSL and PyTorch; not differentiable. */
export const round = (x: Tensor): Tensor => unary('round', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
/** 1 / x */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);

function expectFinite(op: string, what: string, value: number): void {
  if (!Number.isFinite(value)) throw new Error(`${op}: ${what} must be a finite number, got ${value}`);
}

/**
 * Clamps x into [lo, hi]; the gradient is 1 inside the range, boundaries included (as PyTorch),
 * and 0 outside.
 */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  expectFinite('clamp', 'the lower bound', lo);
  expectFinite('clamp', 'the upper bound', hi);
  if (lo > hi) throw new Error(`clamp: the lower bound ${lo} is above the upper bound ${hi}`);
  return unary('clamp', x, lo, hi);
}

/**
 * x^p for a scalar exponent p. For x < 0 the result is defined for integer p only (the sign
 * follows p's parity); use non-negative inputs otherwise.
 */
export function powScalar(x: Tensor, p: number): Tensor {
  expectFinite('powScalar', 'the exponent', p);
  return unary('powScalar', x, p);
}
