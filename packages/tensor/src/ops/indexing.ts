/** Integer-valued index ops: argmax (→ int32) and oneHot (int32 labels → float32). No gradients. */
import { argmaxKernel, oneHotKernel } from '@fracbits/kernels';
import { defineOp, expectFloat, run1 } from '../op.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

interface ArgmaxAttrs {
  readonly axis: number;
  readonly keepDims: boolean;
}

const argmaxOp = defineOp<ArgmaxAttrs>({
  name: 'argmax',
  infer([x], { axis, keepDims }) {
    expectFloat('argmax', x);
    if (x.shape[axis] === 0) throw new Error(`argmax: axis ${axis} of ${x.describe()} is empty`);
    const shape = keepDims
      ? x.shape.map((n, k) => (k === axis ? 1 : n))
      : x.shape.filter((_, k) => k !== axis);
    return [{ shape, dtype: 'int32' }];
  },
  forward({ inputs: [x], outputs: [y], attrs: { axis }, launch }) {
    if (y.size === 0) return;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    launch(argmaxKernel, [x, y], { outer, len: x.shape[axis], inner });
  },
});

/**
 * Index of the largest element along `axis` (default: the last), as int32. Ties go to the first
 * index; a NaN counts as the largest. Not differentiable.
 */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank)
    throw new Error(`argmax: axis ${axis} out of range for ${x.describe()}`);
  return run1(argmaxOp, [x], { axis: a, keepDims });
}

interface OneHotAttrs {
  readonly classes: number;
}

const oneHotOp = defineOp<OneHotAttrs>({
  name: 'oneHot',
  infer([labels], { classes }) {
    if (labels.dtype !== 'int32') throw new Error(`oneHot: expected int32 labels, got ${labels.describe()}`);
    if (!Number.isInteger(classes) || classes < 1)
      throw new Error(`oneHot: classes must be an integer ≥ 1, got ${classes}`);
    return [{ shape: [...labels.shape, classes], dtype: 'float32' }];
  },
  forward({ inputs: [labels], outputs: [y], attrs: { classes }, launch }) {
    if (y.size === 0) return;
    launch(oneHotKernel, [labels, y], { n: y.size, classes });
  },
});

/**
 * float32 one-hot rows [...labels.shape, classes] for int32 labels. A label outside
 * [0, classes) gives an all-zero row (no error: the op never reads labels back).
 */
export function oneHot(labels: Tensor, classes: number): Tensor {
  return run1(oneHotOp, [labels], { classes });
}
