import {
  add,
  batchNormEval,
  batchNormTrain,
  formatShape,
  mulScalar,
  noGrad,
  ones,
  reshape,
  type Shape,
  scope,
  type Tensor,
  zeros,
} from '@fracbits/tensor';
import { positiveInt } from './init.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic in the running average (default 0.1, as PyTorch). */
  momentum?: number;
}

/**
 * Batch normalisation over the channel dimension of [N, C, ...] inputs with PyTorch semantics:
 * training normalises with the biased batch variance and folds the *unbiased* variance into the
 * running estimate (`running = (1 − momentum)·running + momentum·batch`); eval uses the running
 * statistics.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;

  constructor(numFeatures: number, options: BatchNormOptions) {
    super();
    this.numFeatures = positiveInt(numFeatures, `${this.constructor.name}: numFeatures`);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new Error(`${this.constructor.name}: eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`${this.constructor.name}: momentum must be in [0, 1], got ${this.momentum}`);
    }
    this.weight = this.registerParameter('weight', ones([numFeatures]));
    this.bias = this.registerParameter('bias', zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
  }

  /** Checks the input rank and channels; returns it viewed as NCHW. */
  protected abstract toNchw(x: Shape): number[];

  override outputShape(input: Shape): number[] {
    this.toNchw(input);
    return [...input];
  }

  forward(x: Tensor): Tensor {
    const nchw = this.toNchw(x.shape);
    const x4 = nchw.length === x.rank ? x : reshape(x, nchw);
    let y: Tensor;
    if (this.training) {
      const count = nchw[0] * nchw[2] * nchw[3];
      if (count < 2) {
        throw new Error(
          `${this.constructor.name}: training needs more than 1 value per channel, got input ${formatShape(x.shape)}`,
        );
      }
      const stats = batchNormTrain(x4, this.weight, this.bias, this.eps);
      this.updateRunningStats(stats.mean, stats.var, count);
      y = stats.y;
    } else {
      y = batchNormEval(x4, this.weight, this.bias, this.runningMean, this.runningVar, this.eps);
    }
    return y.rank === x.rank ? y : reshape(y, x.shape);
  }

  private updateRunningStats(mean: Tensor, variance: Tensor, count: number): void {
    const m = this.momentum;
    const c = this.numFeatures;
    noGrad(() =>
      scope(() => {
        const unbiased = mulScalar(reshape(variance, [c]), count / (count - 1));
        this.runningMean.assign(add(mulScalar(this.runningMean, 1 - m), mulScalar(reshape(mean, [c]), m)));
        this.runningVar.assign(add(mulScalar(this.runningVar, 1 - m), mulScalar(unbiased, m)));
      }),
    );
  }
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected toNchw(s: Shape): number[] {
    if (s.length !== 4 || s[1] !== this.numFeatures) {
      throw new Error(
        `BatchNorm2d(${this.numFeatures}): expected input [N, ${this.numFeatures}, H, W], got ${formatShape(s)}`,
      );
    }
    return [...s];
  }
}

/** BatchNorm over [N, C] or [N, C, L] (run as NCHW with unit dimensions). */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected toNchw(s: Shape): number[] {
    if ((s.length !== 2 && s.length !== 3) || s[1] !== this.numFeatures) {
      throw new Error(
        `BatchNorm1d(${this.numFeatures}): expected input [N, ${this.numFeatures}] or [N, ${this.numFeatures}, L], got ${formatShape(s)}`,
      );
    }
    return [s[0], s[1], s.length === 3 ? s[2] : 1, 1];
  }
}
