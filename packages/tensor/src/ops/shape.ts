import { defineOp, run1 } from '../op.js';
import { formatShape, type Shape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

interface ReshapeAttrs {
  readonly shape: readonly number[];
}

/** The recorded reshape (inputs that need a gradient): copies into a fresh output buffer. */
const reshapeOp = defineOp<ReshapeAttrs>({
  name: 'reshape',
  infer([x], { shape }) {
    if (sizeOf(shape) !== x.size)
      throw new Error(`reshape: cannot reshape ${x.describe()} to ${formatShape(shape)}`);
    return [{ shape, dtype: x.dtype }];
  },
  forward({ backend, inputs: [x], outputs: [y] }) {
    // The output was allocated by runOp; views would avoid the copy, but a copy keeps every
    // tensor's storage independent of autograd's bookkeeping. Cheap relative to any real op.
    backend.copy(x.buffer, y.buffer, x.size);
  },
  backward([gy], { inputs: [x] }) {
    return [gy ? reshape(gy, x.shape) : null];
  },
});

/** Resolves one -1 entry of a target shape. */
export function resolveShape(size: number, shape: Shape, where = 'reshape'): number[] {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new Error(`${where}: more than one -1 in ${formatShape(shape)}`);
  if (free === 0) return [...shape];
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (known === 0 || size % known !== 0)
    throw new Error(`${where}: cannot infer -1 in ${formatShape(shape)} for ${size} elements`);
  return shape.map((d) => (d === -1 ? size / known : d));
}

/**
 * A tensor of the same elements in another shape (one entry may be -1): a view sharing storage
 * when `x` needs no gradient, otherwise a recorded copy.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = resolveShape(x.size, shape);
  if (!x.requiresGrad) {
    if (sizeOf(target) !== x.size)
      throw new Error(`reshape: cannot reshape ${x.describe()} to ${formatShape(target)}`);
    return x.view(target);
  }
  return run1(reshapeOp, [x], { shape: target });
}

/** Flattens dimensions `startDim..` into one (default: keep the batch dimension). */
export function flatten(x: Tensor, startDim = 1): Tensor {
  if (x.rank <= startDim) return reshape(x, [...x.shape, ...(x.rank === startDim ? [1] : [])]);
  return reshape(x, [...x.shape.slice(0, startDim), sizeOf(x.shape.slice(startDim))]);
}

/** Inserts a dimension of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Removes dimensions of size 1 (all, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = axis < 0 ? axis + x.rank : axis;
  if (x.shape[a] !== 1) throw new Error(`squeeze: dimension ${axis} of ${x.describe()} is not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}
