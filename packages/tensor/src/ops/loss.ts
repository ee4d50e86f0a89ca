/**
 * Classification losses over logits [N, C] and int32 labels [N]. The per-row cross-entropy is one
 * fused kernel (and one for its gradient); the reduction is an ordinary mean or sum op.
 */
import { crossEntropyBackwardKernel, crossEntropyKernel } from '@fracbits/kernels';
import { defineOp, expectFloat, run1 } from '../op.js';
import type { Tensor } from '../tensor.js';
import { mul, neg } from './binary.js';
import { oneHot } from './indexing.js';
import { mean, sum } from './reduce.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default) over the batch, 'sum', or 'none' for the per-row losses [N]. */
  readonly reduction?: Reduction;
}

/**
 * Checks logits [N, C] (C ≥ 1) against int32 labels [N]. Where the labels can be read without a
 * device round trip (CPU tensors), out-of-range labels are an error here; elsewhere the kernels
 * stay in bounds (see each loss).
 */
function validate(op: string, scores: Tensor, labels: Tensor): void {
  expectFloat(op, scores);
  if (scores.rank !== 2 || scores.shape[1] < 1)
    throw new Error(`${op}: expected scores [N, C] with C ≥ 1, got ${scores.describe()}`);
  if (labels.dtype !== 'int32') throw new Error(`${op}: expected int32 labels, got ${labels.describe()}`);
  const [n, classes] = scores.shape;
  if (labels.rank !== 1 || labels.shape[0] !== n) {
    throw new Error(`${op}: expected labels [${n}] for ${scores.describe()}, got ${labels.describe()}`);
  }
  if (!labels.backend.readSync) return;
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const t = values[i];
    if (t < 0 || t >= classes)
      throw new Error(`${op}: label ${t} at index ${i} is out of range for ${classes} classes`);
  }
}

function reduce(op: string, perRow: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case 'mean':
      return mean(perRow);
    case 'sum':
      return sum(perRow);
    case 'none':
      return perRow;
    default:
      throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

const crossEntropyBackwardOp = defineOp<Record<string, never>>({
  name: 'crossEntropyBackward',
  infer([logits]) {
    return [{ shape: logits.shape, dtype: 'float32' }];
  },
  forward({ inputs: [logits, labels, g], outputs: [gx], launch }) {
    const [rows, classes] = logits.shape;
    if (rows > 0) launch(crossEntropyBackwardKernel, [logits, labels, g, gx], { rows, classes });
  },
});

const crossEntropyOp = defineOp<Record<string, never>>({
  name: 'crossEntropy',
  infer([logits]) {
    return [{ shape: [logits.shape[0]], dtype: 'float32' }];
  },
  forward({ inputs: [logits, labels], outputs: [loss], launch }) {
    const [rows, classes] = logits.shape;
    if (rows > 0) launch(crossEntropyKernel, [logits, labels, loss], { rows, classes });
  },
  backward([g], { inputs: [logits, labels] }) {
    // d loss[n] / d logits[n, c] = softmax(logits[n])[c] − [c == label[n]]; the mean's 1/N
    // arrives through g.
    return [g ? run1(crossEntropyBackwardOp, [logits, labels, g], {}) : null, null];
  },
});

/**
 * Softmax cross-entropy of logits [N, C] against int32 class labels [N]. Labels are validated on
 * CPU tensors; on other backends an out-of-range label is clamped into [0, C) by the kernel (the
 * loss is then computed against class 0 or C − 1) rather than read out of bounds.
 * Gradient w.r.t. the logits: (softmax − onehot)/N for 'mean'.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: LossOptions = {}): Tensor {
  validate('crossEntropy', logits, labels);
  return reduce('crossEntropy', run1(crossEntropyOp, [logits, labels], {}), options.reduction ?? 'mean');
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (e.g. from `logSoftmax`) against int32
 * labels [N]: −logProbs[n, label[n]]. Labels are validated on CPU tensors; elsewhere an
 * out-of-range label selects nothing and contributes 0.
 */
export function nllLoss(logProbs: Tensor, labels: Tensor, options: LossOptions = {}): Tensor {
  validate('nllLoss', logProbs, labels);
  const picked = neg(sum(mul(logProbs, oneHot(labels, logProbs.shape[1])), 1));
  return reduce('nllLoss', picked, options.reduction ?? 'mean');
}
