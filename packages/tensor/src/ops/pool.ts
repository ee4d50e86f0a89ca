/**
 * Pooling over NCHW tensors: `maxPool2d` (backward routes each window's gradient to its argmax,
 * ties to the first element), `avgPool2d` (with or without the padding in the divisor) and
 * `globalAvgPool2d`. The backward kernels gather per input element, so no atomics are needed.
 */
import {
  avgPoolBackwardKernel,
  avgPoolKernel,
  convOutputSize,
  maxPoolBackwardKernel,
  maxPoolKernel,
  type Pool2dGeometry,
  pool2dParams,
} from '@fracbits/kernels';
import { defineOp, expectFloat, run1, runOp } from '../op.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { type Pair, toPair } from './conv.js';
import { mean } from './reduce.js';
import { reshape } from './shape.js';

export interface Pool2dOptions {
  /** Window size. */
  readonly kernel: Pair;
  /** Default: the kernel size. */
  readonly stride?: Pair;
  /** Implicit padding on each side (at most half the window); default 0. */
  readonly padding?: Pair;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the whole window including padding (default true, as PyTorch), else by the in-bounds count. */
  readonly countIncludePad?: boolean;
}

interface PoolAttrs {
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly countIncludePad: boolean;
}

function poolAttrs(op: string, options: AvgPool2dOptions): PoolAttrs {
  if (!options || options.kernel === undefined)
    throw new Error(`${op}: options.kernel (the window size) is required`);
  const kernel = toPair(op, 'kernel', options.kernel, 1, 1);
  const stride = toPair(op, 'stride', options.stride ?? kernel, 1, 1);
  const padding = toPair(op, 'padding', options.padding, 0, 0);
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new Error(
      `${op}: padding ${padding.join('×')} must be at most half the window ${kernel.join('×')}`,
    );
  }
  return { kernel, stride, padding, countIncludePad: options.countIncludePad ?? true };
}

function geometry(op: string, x: Tensor, a: PoolAttrs): Pool2dGeometry {
  expectFloat(op, x);
  if (x.rank !== 4) throw new Error(`${op}: expected input [N, C, H, W], got ${x.describe()}`);
  const [n, c, h, w] = x.shape;
  const ho = convOutputSize(h, a.kernel[0], a.stride[0], a.padding[0]);
  const wo = convOutputSize(w, a.kernel[1], a.stride[1], a.padding[1]);
  if (ho < 1 || wo < 1) {
    throw new Error(
      `${op}: window ${a.kernel.join('×')} does not fit input ${x.describe()} padded by ${a.padding.join('×')}`,
    );
  }
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  return { planes: n * c, h, w, ho, wo, kh, kw, sh, sw, ph, pw };
}

const outShape = (x: Tensor, g: Pool2dGeometry): Shape => [x.shape[0], x.shape[1], g.ho, g.wo];

// ---- max ----------------------------------------------------------------------------------------

const maxPoolOp = defineOp<PoolAttrs>({
  name: 'maxPool2d',
  infer([x], attrs) {
    return [
      { shape: outShape(x, geometry('maxPool2d', x, attrs)), dtype: 'float32' },
      { shape: outShape(x, geometry('maxPool2d', x, attrs)), dtype: 'int32' },
    ];
  },
  forward({ inputs: [x], outputs: [y, argmax], attrs, launch }) {
    launch(maxPoolKernel, [x, y, argmax], pool2dParams(geometry('maxPool2d', x, attrs)));
  },
  backward([g], { inputs: [x], outputs: [, argmax], attrs }) {
    return [g ? run1(maxPoolGradOp, [g, argmax], { ...attrs, inputShape: x.shape }) : null];
  },
});

const maxPoolGradOp = defineOp<PoolAttrs & { readonly inputShape: Shape }>({
  name: 'maxPool2dGrad',
  infer(_, { inputShape }) {
    return [{ shape: inputShape, dtype: 'float32' }];
  },
  forward({ inputs: [g, argmax], outputs: [dx], attrs, launch }) {
    launch(maxPoolBackwardKernel, [g, argmax, dx], pool2dParams(geometry('maxPool2d', dx, attrs)));
  },
});

/** Max pooling of x [N, C, H, W]; the gradient goes to each window's (first) maximum. */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const [y, argmax] = runOp(maxPoolOp, [x], poolAttrs('maxPool2d', options));
  // The argmax only serves the backward pass: free it now when none was recorded.
  if (!y.node) argmax.dispose();
  return y;
}

// ---- average ------------------------------------------------------------------------------------

const avgPoolOp = defineOp<PoolAttrs>({
  name: 'avgPool2d',
  infer([x], attrs) {
    return [{ shape: outShape(x, geometry('avgPool2d', x, attrs)), dtype: 'float32' }];
  },
  forward({ inputs: [x], outputs: [y], attrs, launch }) {
    launch(avgPoolKernel, [x, y], pool2dParams(geometry('avgPool2d', x, attrs), attrs.countIncludePad));
  },
  backward([g], { inputs: [x], attrs }) {
    return [g ? run1(avgPoolGradOp, [g], { ...attrs, inputShape: x.shape }) : null];
  },
});

const avgPoolGradOp = defineOp<PoolAttrs & { readonly inputShape: Shape }>({
  name: 'avgPool2dGrad',
  infer(_, { inputShape }) {
    return [{ shape: inputShape, dtype: 'float32' }];
  },
  forward({ inputs: [g], outputs: [dx], attrs, launch }) {
    launch(
      avgPoolBackwardKernel,
      [g, dx],
      pool2dParams(geometry('avgPool2d', dx, attrs), attrs.countIncludePad),
    );
  },
});

/** Average pooling of x [N, C, H, W]. */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return run1(avgPoolOp, [x], poolAttrs('avgPool2d', options));
}

/** Mean over the spatial axes of x [N, C, H, W] → [N, C] (or [N, C, 1, 1] with keepDims). */
export function globalAvgPool2d(x: Tensor, options: { readonly keepDims?: boolean } = {}): Tensor {
  if (x.rank !== 4) throw new Error(`globalAvgPool2d: expected input [N, C, H, W], got ${x.describe()}`);
  const [n, c, h, w] = x.shape;
  const y = mean(reshape(x, [n, c, h * w]), 2);
  return options.keepDims ? reshape(y, [n, c, 1, 1]) : y;
}
