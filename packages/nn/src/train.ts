/**
 * Training and evaluation loops shaped for the GPU: each step's forward, backward and optimizer
 * update are recorded inside one `scope`, and the host reads back only what it must — the loss
 * every `readLossEvery` steps, and epoch/evaluation totals accumulated on the device.
 */
import {
  add,
  argmax,
  backward,
  crossEntropy,
  keep,
  mulScalar,
  noGrad,
  scope,
  type Tensor,
  zeroGrad,
  zeros,
} from '@fracbits/tensor';
import type { DataLoader } from './data/loader.js';
import type { Module } from './modules/module.js';
import { clipGradNorm } from './optim/clip.js';
import type { Optimizer } from './optim/optimizer.js';
import type { LrSchedule } from './optim/schedule.js';

/** A scalar loss from model output and int32 labels (mean over the batch). */
export type LossFn = (output: Tensor, labels: Tensor) => Tensor;

export const crossEntropyLoss: LossFn = (output, labels) =>
  crossEntropy(output, labels, { reduction: 'mean' });

export interface BatchEvent {
  readonly type: 'batch';
  readonly epoch: number;
  /** Global optimizer step (after this batch's update). */
  readonly step: number;
  /** Index of the batch in the epoch, and the epoch's batch count. */
  readonly batch: number;
  readonly batches: number;
  /** Present on steps where the loss was read back. */
  readonly loss?: number;
  readonly lr: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  /** Mean training loss over the epoch's samples. */
  readonly loss: number;
  readonly lr: number;
  readonly seconds: number;
}

export type TrainEvent = BatchEvent | EpochEvent;

export interface TrainEpochOptions {
  /** Epoch number (default: loader.epoch, which is then advanced). */
  epoch?: number;
  /** Sets the learning rate before every step from the optimizer's global step count. */
  schedule?: LrSchedule;
  /** Default: cross-entropy, mean over the batch. */
  lossFn?: LossFn;
  onEvent?: (event: TrainEvent) => void;
  /** Read the loss back every this many steps for batch events (default 10; 0: never). */
  readLossEvery?: number;
  /** Clip the global gradient norm to this value before each update. */
  clipGradNorm?: number;
  /** Stop after this many steps (for smoke runs). */
  maxSteps?: number;
  /** A term added to every step's loss (e.g. FracBits' budget penalty); see {@link ExtraLoss}. */
  extraLoss?: ExtraLoss;
}

/**
 * A term added to the loss of every training step. `prepare` runs before the step is recorded (it
 * may read values back from the device); `loss` is then recorded in the step's scope, so its
 * gradient flows in the same backward pass. The reported loss stays the task loss alone.
 */
export interface ExtraLoss<State = unknown> {
  prepare(): Promise<State> | State;
  loss(state: State): Tensor;
}

export interface EpochResult {
  readonly epoch: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr: number;
}

// biome-ignore lint/suspicious/noExplicitAny: any optimizer's hyperparameters
type AnyOptimizer = Optimizer<any>;

/** One epoch of training; returns the mean loss over the samples seen. */
export async function trainEpoch(
  model: Module,
  loader: DataLoader,
  optimizer: AnyOptimizer,
  options: TrainEpochOptions = {},
): Promise<EpochResult> {
  const {
    schedule,
    lossFn = crossEntropyLoss,
    onEvent,
    readLossEvery = 10,
    maxSteps = Infinity,
    extraLoss,
  } = options;
  const epoch = options.epoch ?? loader.epoch++;
  const started = Date.now();
  const params = model.parameters();
  const batches = Math.min(loader.length, maxSteps);
  const lossSum = keep(zeros([]));
  let samples = 0;
  let steps = 0;
  model.train();
  try {
    for (const batch of loader.batches(epoch)) {
      if (steps >= maxSteps) {
        batch.x.dispose();
        batch.y.dispose();
        break;
      }
      if (schedule) optimizer.setLr(schedule.lr(optimizer.stepCount));
      const lr = optimizer.lr;
      const read = readLossEvery > 0 && (steps + 1) % readLossEvery === 0;
      const extraState = extraLoss ? await extraLoss.prepare() : undefined;
      const lossView = scope(() => {
        zeroGrad(params);
        const loss = lossFn(model.call(batch.x), batch.y);
        if (loss.size !== 1)
          throw new Error(`trainEpoch: lossFn must return a scalar, got ${loss.describe()}`);
        backward(extraLoss ? add(loss, extraLoss.loss(extraState)) : loss);
        if (options.clipGradNorm !== undefined) clipGradNorm(params, options.clipGradNorm);
        optimizer.step();
        optimizer.zeroGrad();
        zeroGrad(params);
        noGrad(() => lossSum.assign(add(lossSum, mulScalar(loss.detach(), batch.size))));
        return read ? loss.detach() : null;
      });
      batch.x.dispose();
      batch.y.dispose();
      samples += batch.size;
      steps++;
      let loss: number | undefined;
      if (lossView) {
        loss = (await lossView.data())[0];
        lossView.dispose();
      }
      onEvent?.({ type: 'batch', epoch, step: optimizer.stepCount, batch: steps - 1, batches, loss, lr });
    }
    const loss = samples > 0 ? (await lossSum.data())[0] / samples : Number.NaN;
    const result = { epoch, steps, loss, lr: optimizer.lr };
    onEvent?.({
      type: 'epoch',
      ...result,
      step: optimizer.stepCount,
      seconds: (Date.now() - started) / 1000,
    });
    return result;
  } finally {
    lossSum.dispose();
  }
}

export interface EvaluateOptions {
  /** Default: cross-entropy. Must return the batch mean. */
  lossFn?: LossFn;
  /** Stop after this many batches. */
  maxBatches?: number;
}

export interface EvalResult {
  /** Mean loss per sample. */
  readonly loss: number;
  /** Fraction of samples whose argmax output equals the label. */
  readonly accuracy: number;
  readonly count: number;
}

/**
 * Evaluates in eval mode without gradients. Predictions (argmax on the device) and the loss sum
 * stay on the device until the end, then are read back once; the model's mode is restored.
 */
export async function evaluate(
  model: Module,
  loader: DataLoader,
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  const { lossFn = crossEntropyLoss, maxBatches = Infinity } = options;
  const wasTraining = model.training;
  model.eval();
  const lossSum = keep(zeros([]));
  const predictions: [Tensor, Int32Array][] = [];
  try {
    let seen = 0;
    for (const batch of loader.batches(0)) {
      if (seen++ >= maxBatches) {
        batch.x.dispose();
        batch.y.dispose();
        break;
      }
      const pred = noGrad(() =>
        scope(() => {
          const out = model.call(batch.x);
          if (out.rank !== 2)
            throw new Error(`evaluate: the model must output [N, classes], got ${out.describe()}`);
          lossSum.assign(add(lossSum, mulScalar(lossFn(out, batch.y), batch.size)));
          return argmax(out, 1);
        }),
      );
      predictions.push([keep(pred), batch.labels]);
      batch.x.dispose();
      batch.y.dispose();
    }
    let correct = 0;
    let count = 0;
    for (const [pred, labels] of predictions) {
      const values = await pred.data();
      for (let i = 0; i < labels.length; i++) if (values[i] === labels[i]) correct++;
      count += labels.length;
    }
    const loss = count > 0 ? (await lossSum.data())[0] / count : Number.NaN;
    return { loss, accuracy: count > 0 ? correct / count : Number.NaN, count };
  } finally {
    lossSum.dispose();
    for (const [pred] of predictions) pred.dispose();
    model.train(wasTraining);
  }
}
