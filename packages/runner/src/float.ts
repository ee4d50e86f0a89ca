/**
 * Float training: the pre-training stage of the pipeline, and the `train` command. SGD with
 * Nesterov momentum, weight decay on conv/linear weights only, per-iteration cosine decay
 * (PROTOCOL.md), evaluation on the test set after every epoch (or only at the end).
 * Resumable: the loader order depends only on (seed, epoch) and the schedule on the optimizer's
 * step count, so restoring model + optimizer after epoch k continues exactly.
 */
import {
  CosineSchedule,
  createModel,
  DataLoader,
  evaluate,
  type ImageDataset,
  type Module,
  SGD,
  splitDecay,
  trainEpoch,
} from '@fracbits/nn';
import type { EventSink, StageName } from './events.js';
import { throwIfInterrupted } from './interrupt.js';

export interface SgdSettings {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
}

export const DEFAULT_SGD: SgdSettings = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 };

export interface TrainData {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
}

export interface FloatEpochState {
  readonly epochsDone: number;
  readonly model: Module;
  readonly optimizer: SGD;
  readonly testAccuracy?: number;
}

export interface FloatTrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly sgd: SgdSettings;
  /** Read the loss back every this many steps (progress display). */
  readonly readLossEvery?: number;
  /** Evaluate on the test set after every epoch (default true) or only at the end. */
  readonly evalEveryEpoch?: boolean;
  readonly stage?: StageName;
  readonly maxStepsPerEpoch?: number;
  /** Stops at the next step once aborted (RunInterrupted). */
  readonly signal?: AbortSignal;
  /** Awaited after every epoch (checkpoints). */
  readonly onEpochEnd?: (state: FloatEpochState) => Promise<void> | void;
  /** Continue after `epochsDone` epochs: `restore` loads the saved model and optimizer state. */
  readonly resume?: {
    readonly epochsDone: number;
    readonly restore: (model: Module, optimizer: SGD) => Promise<void> | void;
  };
}

export interface FloatTrainResult {
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly trainLoss: number;
  readonly epochSeconds: readonly number[];
}

export function createZooModel(name: string, data: TrainData, seed: number): Module {
  return createModel(name, { numClasses: data.train.numClasses, inputSize: [...data.train.shape], seed });
}

export function makeLoaders(data: TrainData, batchSize: number, seed: number) {
  return {
    train: new DataLoader(data.train, { batchSize, shuffle: true, seed }),
    test: new DataLoader(data.test, { batchSize: Math.max(batchSize, 256), shuffle: false }),
  };
}

/** Trains `model` in float for `epochs`; emits stage/step/epoch events. */
export async function trainFloat(
  model: Module,
  data: TrainData,
  options: FloatTrainOptions,
  emit: EventSink,
): Promise<FloatTrainResult> {
  const stage = options.stage ?? 'train';
  if (!Number.isInteger(options.epochs) || options.epochs < 0)
    throw new Error(`trainFloat: epochs must be a non-negative integer, got ${options.epochs}`);
  const loaders = makeLoaders(data, options.batchSize, options.seed);
  const stepsPerEpoch = Math.min(loaders.train.length, options.maxStepsPerEpoch ?? Infinity);
  const totalSteps = Math.max(1, stepsPerEpoch * options.epochs);
  const optimizer = new SGD(splitDecay(model, options.sgd.weightDecay), {
    lr: options.sgd.lr,
    momentum: options.sgd.momentum,
    nesterov: options.sgd.nesterov,
  });
  const schedule = new CosineSchedule({ baseLr: options.sgd.lr, totalSteps });
  const first = Math.min(options.resume?.epochsDone ?? 0, options.epochs);
  if (options.resume) await options.resume.restore(model, optimizer);
  emit({ type: 'stage', stage, status: 'start', totalSteps, epochs: options.epochs, stepsPerEpoch });
  const epochSeconds: number[] = [];
  let trainLoss = Number.NaN;
  let test = { loss: Number.NaN, accuracy: Number.NaN };
  for (let epoch = first; epoch < options.epochs; epoch++) {
    const started = performance.now();
    const result = await trainEpoch(model, loaders.train, optimizer, {
      epoch,
      schedule,
      readLossEvery: options.readLossEvery ?? 10,
      maxSteps: options.maxStepsPerEpoch,
      onEvent: (e) => {
        if (e.type !== 'batch') return;
        emit({
          type: 'step',
          stage,
          epoch,
          step: e.step,
          stepInEpoch: e.batch + 1,
          stepsPerEpoch,
          totalSteps,
          lr: e.lr,
          ...(e.loss !== undefined ? { loss: e.loss } : {}),
        });
        throwIfInterrupted(options.signal);
      },
    });
    trainLoss = result.loss;
    const seconds = (performance.now() - started) / 1000;
    epochSeconds.push(seconds);
    const evaluated = options.evalEveryEpoch !== false || epoch === options.epochs - 1;
    if (evaluated) test = await evaluate(model, loaders.test);
    emit({
      type: 'epoch',
      stage,
      epoch,
      epochs: options.epochs,
      loss: trainLoss,
      seconds,
      ...(evaluated ? { testAccuracy: test.accuracy, testLoss: test.loss } : {}),
    });
    await options.onEpochEnd?.({
      epochsDone: epoch + 1,
      model,
      optimizer,
      ...(evaluated ? { testAccuracy: test.accuracy } : {}),
    });
  }
  if (options.epochs === first) test = await evaluate(model, loaders.test);
  emit({ type: 'stage', stage, status: 'end' });
  return { testAccuracy: test.accuracy, testLoss: test.loss, trainLoss, epochSeconds };
}
