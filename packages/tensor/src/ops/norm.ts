/**
 * Batch normalisation over the channel axis 1 of x [N, C, ...] (NCHW, or [N, C] for 1-d):
 * `batchNormTrain` normalises with the batch's own per-channel mean and biased variance and
 * backpropagates through them (the full batch-statistics gradient); `batchNormEval` uses given
 * running statistics, which get no gradient. Running averages are the caller's business (the nn
 * package updates them from the returned batch statistics).
 */
import {
  batchNormApplyKernel,
  batchNormBackwardInputKernel,
  batchNormBackwardReduceKernel,
  batchNormStatsKernel,
} from '@fracbits/kernels';
import { defineOp, expectFloat, runOp } from '../op.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

export interface BatchNormResult {
  /** The normalised, scaled and shifted output (same shape as x). */
  readonly y: Tensor;
  /** Per-channel batch mean [C] (no gradient). */
  readonly mean: Tensor;
  /** Per-channel biased batch variance [C] (no gradient; PyTorch's running variance uses the unbiased one). */
  readonly var: Tensor;
}

interface NormAttrs {
  readonly eps: number;
}

/** x viewed as [n, c, hw]; checks every per-channel operand is [C]. */
function layout(op: string, x: Tensor, perChannel: Record<string, Tensor>) {
  expectFloat(op, x);
  if (x.rank < 2) throw new Error(`${op}: expected input [N, C] or [N, C, H, W], got ${x.describe()}`);
  const c = x.shape[1];
  for (const [name, t] of Object.entries(perChannel)) {
    expectFloat(op, t);
    if (t.rank !== 1 || t.shape[0] !== c) {
      throw new Error(`${op}: ${name} must be [${c}] for input ${formatShape(x.shape)}, got ${t.describe()}`);
    }
  }
  return { n: x.shape[0], c, hw: sizeOf(x.shape.slice(2)), total: x.size };
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0)) throw new Error(`${op}: eps must be a non-negative number, got ${eps}`);
}

/**
 * Gradients of a batch norm given dy: inputs [x, dy, mean, var, gamma], outputs [dx, dgamma,
 * dbeta]. With `train` the statistics are the batch's own (dx includes their gradient).
 */
const batchNormGradOp = defineOp<NormAttrs & { readonly train: boolean }>({
  name: 'batchNormGrad',
  infer([x, , , , gamma]) {
    return [
      { shape: x.shape, dtype: 'float32' },
      { shape: gamma.shape, dtype: 'float32' },
      { shape: gamma.shape, dtype: 'float32' },
    ];
  },
  forward({ inputs: [x, dy, mean, variance, gamma], outputs: [dx, dgamma, dbeta], attrs, launch }) {
    const { n, c, hw, total } = layout('batchNormGrad', x, {});
    launch(batchNormBackwardReduceKernel, [x, dy, mean, variance, dgamma, dbeta], {
      n,
      c,
      hw,
      eps: attrs.eps,
    });
    launch(batchNormBackwardInputKernel, [x, dy, mean, variance, gamma, dgamma, dbeta, dx], {
      total,
      c,
      hw,
      eps: attrs.eps,
      train: attrs.train ? 1 : 0,
    });
  },
});

function gradients(
  g: Tensor,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  gamma: Tensor,
  beta: Tensor,
  eps: number,
  train: boolean,
) {
  const [dx, dgamma, dbeta] = runOp(batchNormGradOp, [x, g, mean, variance, gamma], { eps, train });
  return [x.requiresGrad ? dx : null, gamma.requiresGrad ? dgamma : null, beta.requiresGrad ? dbeta : null];
}

const batchNormTrainOp = defineOp<NormAttrs>({
  name: 'batchNormTrain',
  infer([x, gamma, beta]) {
    const { c } = layout('batchNormTrain', x, { gamma, beta });
    return [
      { shape: x.shape, dtype: 'float32' },
      { shape: [c], dtype: 'float32' },
      { shape: [c], dtype: 'float32' },
    ];
  },
  forward({ inputs: [x, gamma, beta], outputs: [y, mean, variance], attrs, launch }) {
    const { n, c, hw, total } = layout('batchNormTrain', x, {});
    launch(batchNormStatsKernel, [x, mean, variance], { n, c, hw });
    launch(batchNormApplyKernel, [x, mean, variance, gamma, beta, y], { total, c, hw, eps: attrs.eps });
  },
  backward([g], { inputs: [x, gamma, beta], outputs: [, mean, variance], attrs }) {
    if (!g) return [null, null, null];
    return gradients(g, x, mean, variance, gamma, beta, attrs.eps, true);
  },
});

/**
 * Training-mode batch norm: y = (x − μ_B)/√(σ²_B + eps)·gamma + beta with the batch's
 * per-channel mean μ_B and biased variance σ²_B over every axis but 1. Differentiable in x,
 * gamma and beta; the returned statistics carry no gradient.
 */
export function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): BatchNormResult {
  checkEps('batchNormTrain', eps);
  const [y, mean, variance] = runOp(batchNormTrainOp, [x, gamma, beta], { eps });
  if (!y.node) return { y, mean, var: variance };
  // The backward pass reads the statistics: hand out views without autograd history, so callers
  // may dispose what they get (e.g. after updating running averages) without breaking it.
  return { y, mean: mean.detach(), var: variance.detach() };
}

const batchNormEvalOp = defineOp<NormAttrs>({
  name: 'batchNormEval',
  infer([x, gamma, beta, runningMean, runningVar]) {
    layout('batchNormEval', x, { gamma, beta, runningMean, runningVar });
    return [{ shape: x.shape, dtype: 'float32' }];
  },
  forward({ inputs: [x, gamma, beta, mean, variance], outputs: [y], attrs, launch }) {
    const { c, hw, total } = layout('batchNormEval', x, {});
    launch(batchNormApplyKernel, [x, mean, variance, gamma, beta, y], { total, c, hw, eps: attrs.eps });
  },
  backward([g], { inputs: [x, gamma, beta, mean, variance], attrs }) {
    if (!g) return [null, null, null, null, null];
    return [...gradients(g, x, mean, variance, gamma, beta, attrs.eps, false), null, null];
  },
});

/**
 * Evaluation-mode batch norm with fixed statistics: y = (x − mean)/√(var + eps)·gamma + beta.
 * Differentiable in x, gamma and beta (not in the running statistics).
 */
export function batchNormEval(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  eps = 1e-5,
): Tensor {
  checkEps('batchNormEval', eps);
  return runOp(batchNormEvalOp, [x, gamma, beta, runningMean, runningVar], { eps })[0];
}
