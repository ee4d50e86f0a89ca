/**
 * The demo's job, free of the DOM: float pre-training, then FracBits under a BitOps budget
 * (@fracbits/core's runFracBits), reporting progress as events the page turns into charts, and
 * the ONNX (QDQ) export of the result. It runs on whatever backend is current (WebGPU in the
 * page; the CPU reference in the unit test).
 */
import { type FracBitsResult, getBits, type LayerBits, runFracBits } from '@fracbits/core';
import { bitopsModel } from '@fracbits/cost';
import { exportOnnxQdq } from '@fracbits/export';
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
import type { LayerBars } from './charts.js';

export interface DemoSettings {
  readonly model: 'lenet5' | 'convnet';
  /** Budget: the BitOps of the uniform b-bit model. */
  readonly budgetBits: number;
  readonly granularity: 'layer' | 'kernel';
  readonly pretrainEpochs: number;
  /** FracBits epochs (80 % search, 20 % fine-tune). */
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
}

const EVAL_LABELS = {
  fractional: 'fractional model',
  rounded: 'integer model after rounding, before fine-tuning',
  final: 'integer model',
} as const;

export type DemoStage = 'pretrain' | 'search' | 'discretise' | 'finetune' | 'evaluate' | 'done';

export type DemoEvent =
  | { readonly type: 'stage'; readonly stage: DemoStage; readonly message: string }
  /** One training step; `cost` (MBitOps of the fractional bits) while searching. */
  | {
      readonly type: 'step';
      readonly stage: 'pretrain' | 'search' | 'finetune';
      readonly step: number;
      readonly totalSteps: number;
      readonly loss?: number;
      readonly cost?: number;
      readonly budget?: number;
    }
  | { readonly type: 'bits'; readonly epoch: number; readonly layers: LayerBars[] }
  /** Test accuracy after `epoch` epochs in all (pre-training and QAT together). */
  | {
      readonly type: 'accuracy';
      readonly stage: 'float' | 'search' | 'finetune' | 'final';
      readonly epoch: number;
      readonly accuracy: number;
    }
  | { readonly type: 'log'; readonly message: string };

export interface DemoResult {
  readonly model: Module;
  readonly inputShape: number[];
  readonly floatAccuracy: number;
  readonly result: FracBitsResult;
}

const percent = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Chart bars from core's per-layer bits (kernel-wise: mean, min, max over the channels). */
export function toBars(bits: readonly LayerBits[]): LayerBars[] {
  return bits.map((b) => ({
    name: b.name,
    w: b.w.reduce((s, v) => s + v, 0) / b.w.length,
    wMin: Math.min(...b.w),
    wMax: Math.max(...b.w),
    a: b.a,
    pinned: Boolean(b.pinned),
  }));
}

export async function runDemoSearch(
  data: { readonly train: ImageDataset; readonly test: ImageDataset },
  settings: DemoSettings,
  emit: (event: DemoEvent) => void,
): Promise<DemoResult> {
  const inputShape = [...data.train.shape];
  const trainLoader = new DataLoader(data.train, { batchSize: settings.batchSize, seed: settings.seed });
  const testLoader = new DataLoader(data.test, { batchSize: 256, shuffle: false });
  const steps = trainLoader.length;
  const model = createModel(settings.model, {
    numClasses: 10,
    inputSize: data.train.shape,
    seed: settings.seed,
  });

  // Float pre-training: FracBits starts from a trained float model.
  emit({
    type: 'stage',
    stage: 'pretrain',
    message: `float pre-training, ${settings.pretrainEpochs} epoch(s)`,
  });
  const lr = 0.05;
  const optimizer = new SGD(splitDecay(model, 5e-4), { lr, momentum: 0.9, nesterov: true });
  // Steps are counted here: the packages' step numbers are optimizer counters, not positions.
  let pretrainStep = 0;
  let qatStep = 0;
  const schedule = new CosineSchedule({
    baseLr: lr,
    totalSteps: Math.max(1, settings.pretrainEpochs * steps),
  });
  for (let epoch = 0; epoch < settings.pretrainEpochs; epoch++) {
    await trainEpoch(model, trainLoader, optimizer, {
      epoch,
      schedule,
      readLossEvery: 1,
      onEvent: (e) => {
        if (e.type === 'batch')
          emit({
            type: 'step',
            stage: 'pretrain',
            step: ++pretrainStep,
            totalSteps: settings.pretrainEpochs * steps,
            ...(e.loss !== undefined ? { loss: e.loss } : {}),
          });
      },
    });
    const { accuracy } = await evaluate(model, testLoader);
    emit({ type: 'accuracy', stage: 'float', epoch: epoch + 1, accuracy });
  }
  const floatAccuracy = (await evaluate(model, testLoader)).accuracy;
  emit({ type: 'log', message: `float ${settings.model}: test accuracy ${percent(floatAccuracy)}` });

  // FracBits under the BitOps budget of the uniform b-bit model, κ = 1 per MBitOps (FRACBITS.md §3).
  const budget = {
    costModel: bitopsModel({ unit: 'MBitOps' }),
    target: { kind: 'uniform' as const, bits: settings.budgetBits },
    kappa: 1,
  };
  const qatSteps = settings.epochs * steps;
  // runFracBits searches for the first 80 % of the epochs (at least one) and evaluates the
  // fractional model at the end of the search and the integer model at the end: the epochs in
  // between are evaluated here.
  const searchEpochs = Math.max(1, Math.round(settings.epochs * 0.8));
  const atEpoch = (qatEpochs: number) => settings.pretrainEpochs + qatEpochs;
  const result = await runFracBits({
    model,
    inputShape,
    trainLoader,
    testLoader,
    budget,
    targetBits: settings.budgetBits,
    granularity: settings.granularity,
    bitsRange: [2, 8],
    epochs: settings.epochs,
    optimizer: { lr: 0.01 },
    readLossEvery: 1,
    onEvent: (e) => {
      switch (e.type) {
        case 'stage':
          if (e.stage === 'search') {
            emit({ type: 'stage', stage: 'search', message: `FracBits search, ${e.epochs} epoch(s)` });
            // The starting point, every λ at b + 0.5. The read is recorded before the first step
            // changes λ, so it sees the initial values on every backend.
            void getBits(model).then((bits) => emit({ type: 'bits', epoch: 0, layers: toBars(bits) }));
          } else if (e.stage === 'discretize')
            emit({ type: 'stage', stage: 'discretise', message: 'discretising the bit-widths' });
          else if (e.stage === 'finetune')
            emit({
              type: 'stage',
              stage: 'finetune',
              message: `fine-tuning the integer model, ${e.epochs} epoch(s)`,
            });
          else emit({ type: 'stage', stage: 'evaluate', message: 'evaluating the integer model' });
          break;
        case 'batch': {
          const c = e.penalty?.constraints[0];
          emit({
            type: 'step',
            stage: e.stage,
            step: ++qatStep,
            totalSteps: qatSteps,
            ...(e.loss !== undefined ? { loss: e.loss } : {}),
            ...(c ? { cost: c.cost, budget: c.target } : {}),
          });
          break;
        }
        case 'epoch':
          emit({ type: 'bits', epoch: e.epoch + 1, layers: toBars(e.bits) });
          emit({
            type: 'log',
            message: `${e.stage} epoch ${e.epoch + 1}: loss ${e.loss.toFixed(3)}, cost ${percent(e.ratio)} of the budget`,
          });
          break;
        case 'discretize':
          emit({
            type: 'log',
            message: `discretised: offset ${e.result.offset.toFixed(2)}, ${e.result.moves.length} move(s), integer cost ${percent(e.result.ratio)} of the budget`,
          });
          break;
        case 'eval':
          emit({
            type: 'log',
            message: `${EVAL_LABELS[e.stage]}: test accuracy ${percent(e.accuracy)}`,
          });
          // The rounded model is a log line only; the chart shows the fractional and final points.
          if (e.stage === 'rounded') break;
          emit(
            e.stage === 'fractional'
              ? { type: 'accuracy', stage: 'search', epoch: atEpoch(searchEpochs), accuracy: e.accuracy }
              : { type: 'accuracy', stage: 'final', epoch: atEpoch(settings.epochs), accuracy: e.accuracy },
          );
          break;
      }
    },
    onEpochEnd: async (state) => {
      if (state.epochsDone === searchEpochs || state.epochsDone === settings.epochs) return;
      const { accuracy } = await evaluate(state.model, testLoader);
      emit({ type: 'accuracy', stage: state.stage, epoch: atEpoch(state.epochsDone), accuracy });
    },
  });
  emit({ type: 'bits', epoch: settings.epochs, layers: toBars(result.bits) });
  emit({
    type: 'stage',
    stage: 'done',
    message: `done: ${percent(result.accuracy)} accuracy at ${percent(result.ratio)} of the budget (float ${percent(floatAccuracy)})`,
  });
  return { model: result.model, inputShape, floatAccuracy, result };
}

/** The integer model as QDQ ONNX bytes (opset 21), with the run's numbers as metadata. */
export async function exportOnnx(run: DemoResult, settings: DemoSettings): Promise<Uint8Array> {
  const { bytes } = await exportOnnxQdq(run.model, {
    inputShape: run.inputShape,
    metadata: {
      producer: 'fracbits browser demo',
      budget: `bitops=uniform:${settings.budgetBits}`,
      granularity: settings.granularity,
      accuracy: run.result.accuracy,
      mbitops: run.result.cost,
    },
  });
  return bytes;
}
