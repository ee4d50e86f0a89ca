import { type AxisReduction, axisReduceKernel } from '@fracbits/kernels';
import { defineOp, expectFloat, run1 } from '../op.js';
import { normalizeAxes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { binaryMask, expandTo, mul, mulScalar } from './binary.js';
import { reshape } from './shape.js';

interface ReduceAttrs {
  readonly op: AxisReduction;
  readonly axis: number;
  readonly scale: number;
}

/** Reduction over one axis (kept as size 1); multi-axis reductions chain it. */
const reduceAxisOp = defineOp<ReduceAttrs>({
  name: 'reduceAxis',
  infer([x], { axis }) {
    expectFloat('reduceAxis', x);
    const shape = [...x.shape];
    shape[axis] = 1;
    return [{ shape, dtype: 'float32' }];
  },
  forward({ inputs: [x], outputs: [y], attrs, launch }) {
    const outer = sizeOf(x.shape.slice(0, attrs.axis));
    const len = x.shape[attrs.axis];
    const inner = sizeOf(x.shape.slice(attrs.axis + 1));
    launch(axisReduceKernel, [x, y], { outer, len, inner, scale: attrs.scale }, { op: attrs.op });
  },
  backward([gy], { inputs: [x], outputs: [y], attrs }) {
    if (!gy) return [null];
    if (attrs.op === 'sum')
      return [attrs.scale === 1 ? expandTo(gy, x.shape) : expandTo(mulScalar(gy, attrs.scale), x.shape)];
    // max/min: the gradient goes to every element equal to the extreme (ties share it fully, as in
    // PyTorch's amax), masked by equality with the broadcast result.
    const mask = binaryMask(x, y);
    return [mul(mask, gy)];
  },
});

function reduceAxes(
  x: Tensor,
  op: AxisReduction,
  axes: number | readonly number[] | undefined,
  keepDims: boolean,
  mean: boolean,
): Tensor {
  const where = mean ? 'mean' : op;
  const list = normalizeAxes(axes, x.rank, where);
  if (list.length === 0) return reshape(x, x.shape);
  let out = x;
  const count = list.reduce((n, a) => n * x.shape[a], 1);
  list.forEach((axis, i) => {
    const scale = mean && op === 'sum' && i === list.length - 1 ? 1 / count : 1;
    out = run1(reduceAxisOp, [out], { op, axis, scale });
  });
  if (keepDims) return out;
  return reshape(
    out,
    x.shape.filter((_, i) => !list.includes(i)),
  );
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduceAxes(x, 'sum', axes, keepDims, false);
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduceAxes(x, 'sum', axes, keepDims, true);
}

/** Maximum over `axes` (all when omitted); the gradient flows to every maximal element. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduceAxes(x, 'max', axes, keepDims, false);
}

/** Minimum over `axes` (all when omitted). */
export function min(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduceAxes(x, 'min', axes, keepDims, false);
}
