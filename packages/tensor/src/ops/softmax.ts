/**
 * softmax and logSoftmax along one axis: one launch of `softmax/softmax`, which views the input as
 * [outer, len, inner] and subtracts each row's maximum before exponentiating.
 */
import { type SoftmaxFunction, softmaxKernel } from '@fracbits/kernels';
import { defineOp, expectFloat, run1 } from '../op.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { mul, sub, unary } from './binary.js';
import { sum } from './reduce.js';

interface SoftmaxAttrs {
  readonly op: SoftmaxFunction;
  readonly axis: number;
}

const softmaxOp = defineOp<SoftmaxAttrs>({
  name: 'softmax',
  infer([x], { op }) {
    expectFloat(op, x);
    return [{ shape: x.shape, dtype: 'float32' }];
  },
  forward({ inputs: [x], outputs: [y], attrs: { op, axis }, launch }) {
    if (x.size === 0) return;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    launch(softmaxKernel, [x, y], { outer, len: x.shape[axis], inner }, { op });
  },
  backward([g], { outputs: [y], attrs: { op, axis } }) {
    if (!g) return [null];
    // softmax:    gx = y·(g − Σ_axis g·y)
    // logSoftmax: gx = g − exp(y)·Σ_axis g
    if (op === 'softmax') return [mul(y, sub(g, sum(mul(g, y), axis, true)))];
    return [sub(g, mul(unary('exp', y), sum(g, axis, true)))];
  },
});

function apply(op: SoftmaxFunction, x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank)
    throw new Error(`${op}: axis ${axis} out of range for ${x.describe()}`);
  return run1(softmaxOp, [x], { op, axis: a });
}

/** exp(x) / Σ exp(x) along `axis` (default: the last), computed max-subtracted. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply('softmax', x, axis);
}

/** x − log Σ exp(x) along `axis` (default: the last), computed max-subtracted. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply('logSoftmax', x, axis);
}
