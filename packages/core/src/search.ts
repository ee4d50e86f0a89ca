/**
 * The FracBits schedule (FRACBITS.md §4) end to end: quantize a float model, search with the
 * budget penalty for the first 80 % of the epochs, discretise, fine-tune the integer model for
 * the rest, evaluate — and the uniform-precision QAT baseline with the same optimizer and data.
 * Progress is reported as typed events; the returned numbers are the integer model's.
 */
import { type BudgetTarget, type Constraint, type ConstraintValue, resolveTarget } from '@fracbits/cost';
import {
  CosineSchedule,
  type DataLoader,
  type EvalResult,
  evaluate,
  type LossFn,
  type Module,
  SGD,
  splitDecay,
  trainEpoch,
} from '@fracbits/nn';
import type { CostModel, LayerInfo } from '@fracbits/plugin-api';
import type { Shape } from '@fracbits/tensor';
import { type DiscretizeResult, discretize } from './discretize.js';
import type { Granularity } from './layers.js';
import {
  assignmentFor,
  getBits,
  type LayerBits,
  layerInfos,
  type QuantizedLayerReport,
  type QuantizeModelOptions,
  quantizeModel,
  setIntegerBits,
} from './model.js';
import { BudgetPenalty, type PenaltyReading } from './penalty.js';

/** One budget: a cost model, its target (a number in the model's unit, or `uniform:b`) and κ. */
export interface BudgetSpec {
  readonly costModel: CostModel;
  readonly target: number | BudgetTarget;
  /** Penalty weight per unit of `costModel.unit` (FRACBITS.md §3: make κ and the unit explicit). */
  readonly kappa: number;
}

export interface OptimizerSpec {
  /** Base learning rate of the per-iteration cosine decay (default 0.01). */
  readonly lr?: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  /** On conv/linear weights only (default 5e-4). */
  readonly weightDecay?: number;
}

export type Stage = 'search' | 'discretize' | 'finetune' | 'evaluate';

export type FracBitsEvent =
  | { readonly type: 'stage'; readonly stage: Stage; readonly epochs?: number }
  | {
      readonly type: 'batch';
      readonly stage: 'search' | 'finetune';
      readonly epoch: number;
      readonly step: number;
      readonly batch: number;
      readonly batches: number;
      /** Task loss, on steps where it was read back. */
      readonly loss?: number;
      readonly lr: number;
      /** Penalty value and each constraint's fractional cost (search steps). */
      readonly penalty?: { readonly value: number; readonly constraints: readonly ConstraintValue[] };
    }
  | {
      readonly type: 'epoch';
      readonly stage: 'search' | 'finetune';
      readonly epoch: number;
      readonly loss: number;
      readonly lr: number;
      readonly seconds: number;
      /** Bit-widths after the epoch (fractional while searching). */
      readonly bits: readonly LayerBits[];
      /** Cost of those bits under the primary budget, and cost / target. */
      readonly cost: number;
      readonly ratio: number;
    }
  | {
      readonly type: 'discretize';
      readonly result: DiscretizeResult;
      readonly fractionalAccuracy: number;
    }
  | {
      readonly type: 'eval';
      /** fractional: before discretisation; rounded: integer bits, before fine-tuning; final: the result. */
      readonly stage: 'fractional' | 'rounded' | 'final';
      readonly accuracy: number;
      readonly loss: number;
    };

interface CommonOptions {
  /** The float (ideally pretrained) model; it is quantized in place. */
  readonly model: Module;
  /** One sample's shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  readonly trainLoader: DataLoader;
  readonly testLoader: DataLoader;
  /** Total QAT epochs E. */
  readonly epochs: number;
  readonly granularity?: Granularity;
  readonly bitsRange?: readonly [number, number];
  /** The range of input-activation λa when it differs from `bitsRange` (see quantizeModel). */
  readonly activationBitsRange?: readonly [number, number];
  readonly satRescale?: boolean;
  /** PACT clip α at the start of QAT (default FRACBITS.md §2: conv 8, linear 10). */
  readonly alphaInit?: QuantizeModelOptions['alphaInit'];
  readonly activationSigned?: QuantizeModelOptions['activationSigned'];
  readonly optimizer?: OptimizerSpec;
  readonly lossFn?: LossFn;
  /** Read the task loss back every this many steps for batch events (default 10). */
  readonly readLossEvery?: number;
  /** Cap on steps per epoch (smoke runs). */
  readonly maxStepsPerEpoch?: number;
  readonly onEvent?: (event: FracBitsEvent) => void;
  /**
   * Called after every epoch, once its state is final: what a per-epoch checkpoint needs (the
   * model and optimizer are live objects; save them before returning). Awaited.
   */
  readonly onEpochEnd?: (state: EpochState) => Promise<void> | void;
  /** Continue an interrupted run from an {@link EpochState} saved by `onEpochEnd`. */
  readonly resume?: ResumeFrom;
}

/** The state after an epoch (see `onEpochEnd`). */
export interface EpochState {
  readonly stage: 'search' | 'finetune';
  /** Epochs completed so far, search and fine-tune together. */
  readonly epochsDone: number;
  readonly model: Module;
  readonly optimizer: SGD;
  /** The discretisation, once done (fine-tune epochs of runFracBits). */
  readonly discretization?: DiscretizeResult;
  readonly fractionalAccuracy?: number;
  readonly roundedAccuracy?: number;
}

/**
 * Where to resume: the data loaders' order depends only on (seed, epoch) and the schedule only on
 * the optimizer's step count, so restoring the model and optimizer after `epochsDone` epochs
 * continues exactly as the uninterrupted run would have (RNG-free models: no dropout).
 */
export interface ResumeFrom {
  readonly epochsDone: number;
  /** Loads the saved model (quantized) and optimizer state; called after quantizeModel. */
  readonly restore: (model: Module, optimizer: SGD) => Promise<void> | void;
  /** Required when resuming after the discretisation (epochsDone > search epochs). */
  readonly discretization?: DiscretizeResult;
  readonly fractionalAccuracy?: number;
  readonly roundedAccuracy?: number;
}

export interface RunFracBitsOptions extends CommonOptions {
  /** The budget(s); the first one is the one discretisation matches. */
  readonly budget: BudgetSpec | readonly BudgetSpec[];
  /** Bits the λ start from (target + 0.5), e.g. 3 for a uniform-3-bit budget. */
  readonly targetBits: number;
  /** Fraction of the epochs spent searching (default 0.8). */
  readonly searchFraction?: number;
}

export interface RunResult {
  readonly model: Module;
  readonly layers: readonly QuantizedLayerReport[];
  readonly infos: readonly LayerInfo[];
  /** Final (integer) bit-widths. */
  readonly bits: readonly LayerBits[];
  /** Accuracy and loss of the integer model on the test loader. */
  readonly accuracy: number;
  readonly loss: number;
  /** Integer cost under the primary budget's model, its target, ratio and unit. */
  readonly cost: number;
  readonly target: number;
  readonly ratio: number;
  readonly unit: string;
  readonly satRescale: boolean;
}

export interface FracBitsResult extends RunResult {
  readonly discretization: DiscretizeResult;
  /** Test accuracy of the fractional model just before discretisation (diagnosis only). */
  readonly fractionalAccuracy: number;
  /**
   * Test accuracy of the integer model right after rounding, before fine-tuning (diagnosis only:
   * fractional − rounded is what rounding cost, final − rounded what fine-tuning recovered).
   * Undefined when resumed from a checkpoint that predates it.
   */
  readonly roundedAccuracy?: number;
  readonly kappa: readonly number[];
}

function checkEpochs(who: string, epochs: number, searchFraction: number): [number, number] {
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new Error(`${who}: expected epochs to be a positive integer, got ${epochs}`);
  if (!(searchFraction > 0 && searchFraction <= 1))
    throw new Error(`${who}: expected searchFraction in (0, 1], got ${searchFraction}`);
  const search = Math.max(1, Math.round(epochs * searchFraction));
  return [search, epochs - search];
}

/** SGD (Nesterov, momentum 0.9, decay on conv/linear weights only) with per-iteration cosine decay. */
function makeOptimizer(
  model: Module,
  spec: OptimizerSpec,
  totalSteps: number,
): { optimizer: SGD; schedule: CosineSchedule } {
  const lr = spec.lr ?? 0.01;
  const optimizer = new SGD(splitDecay(model, spec.weightDecay ?? 5e-4), {
    lr,
    momentum: spec.momentum ?? 0.9,
    nesterov: spec.nesterov ?? true,
  });
  return { optimizer, schedule: new CosineSchedule({ baseLr: lr, totalSteps: Math.max(1, totalSteps) }) };
}

function stepsPerEpoch(options: CommonOptions): number {
  return Math.min(options.trainLoader.length, options.maxStepsPerEpoch ?? Infinity);
}

/** Epochs of plain training (fine-tune, uniform QAT): the nn training loop, events relabelled. */
async function train(
  options: CommonOptions,
  optimizer: SGD,
  schedule: CosineSchedule,
  epochs: number,
  first: number,
  costOf: () => Promise<{ bits: LayerBits[]; cost: number; ratio: number }>,
  extra: Pick<EpochState, 'discretization' | 'fractionalAccuracy' | 'roundedAccuracy'> = {},
): Promise<void> {
  for (let e = 0; e < epochs; e++) {
    const started = Date.now();
    const r = await trainEpoch(options.model, options.trainLoader, optimizer, {
      epoch: first + e,
      schedule,
      lossFn: options.lossFn,
      readLossEvery: options.readLossEvery,
      maxSteps: options.maxStepsPerEpoch,
      onEvent: (ev) => {
        if (ev.type === 'batch') options.onEvent?.({ ...ev, stage: 'finetune' });
      },
    });
    const c = await costOf();
    options.onEvent?.({
      type: 'epoch',
      stage: 'finetune',
      epoch: r.epoch,
      loss: r.loss,
      lr: r.lr,
      seconds: (Date.now() - started) / 1000,
      ...c,
    });
    await options.onEpochEnd?.({
      stage: 'finetune',
      epochsDone: first + e + 1,
      model: options.model,
      optimizer,
      ...extra,
    });
  }
}

/**
 * One search epoch: nn's trainEpoch with the budget penalty as its extra loss. Before each step the
 * penalty reads the λ parameters back (BudgetPenalty.read, the one small readback per step); the
 * batch event carries that step's penalty value and fractional costs.
 */
async function searchEpoch(
  options: CommonOptions,
  penalty: BudgetPenalty,
  optimizer: SGD,
  schedule: CosineSchedule,
  epoch: number,
): Promise<{ loss: number; lr: number }> {
  let reading: PenaltyReading | undefined;
  const r = await trainEpoch(options.model, options.trainLoader, optimizer, {
    epoch,
    schedule,
    lossFn: options.lossFn,
    readLossEvery: options.readLossEvery,
    maxSteps: options.maxStepsPerEpoch,
    extraLoss: {
      prepare: async () => {
        reading = await penalty.read();
        return reading;
      },
      loss: (state: PenaltyReading) => penalty.loss(state),
    },
    onEvent: (ev) => {
      if (ev.type !== 'batch' || !reading) return;
      const { value, constraints } = reading.result;
      options.onEvent?.({ ...ev, stage: 'search', penalty: { value, constraints } });
    },
  });
  return { loss: r.loss, lr: r.lr };
}

/** Resolves every budget against the model's layers (uniform:b → cost of the uniform model). */
function resolveBudgets(
  budget: BudgetSpec | readonly BudgetSpec[],
  infos: readonly LayerInfo[],
): Constraint[] {
  const list = Array.isArray(budget) ? budget : [budget as BudgetSpec];
  if (list.length === 0) throw new Error('runFracBits: expected at least one budget');
  return list.map((b) => ({
    model: b.costModel,
    target: resolveTarget(b.costModel, infos, b.target),
    kappa: b.kappa,
  }));
}

async function finalEval(options: CommonOptions): Promise<EvalResult> {
  options.onEvent?.({ type: 'stage', stage: 'evaluate' });
  const r = await evaluate(options.model, options.testLoader, { lossFn: options.lossFn });
  options.onEvent?.({ type: 'eval', stage: 'final', accuracy: r.accuracy, loss: r.loss });
  return r;
}

/**
 * FracBits end to end (FRACBITS.md §4): quantize `model` in place (search mode), search for
 * round(E·searchFraction) epochs with loss = task + Σ κ·|cost − T|, discretise against the first
 * budget, fine-tune the integer model for the remaining epochs, evaluate. One optimizer and one
 * cosine schedule span all epochs.
 */
export async function runFracBits(options: RunFracBitsOptions): Promise<FracBitsResult> {
  const [searchEpochs, finetuneEpochs] = checkEpochs(
    'runFracBits',
    options.epochs,
    options.searchFraction ?? 0.8,
  );
  const range = options.bitsRange ?? [2, 8];
  const { model, layers } = quantizeModel(options.model, {
    targetBits: options.targetBits,
    granularity: options.granularity,
    bitsRange: range,
    activationBitsRange: options.activationBitsRange,
    satRescale: options.satRescale,
    alphaInit: options.alphaInit,
    activationSigned: options.activationSigned,
    inputShape: options.inputShape,
    mode: 'search',
  });
  const infos = layerInfos(model, options.inputShape);
  const constraints = resolveBudgets(options.budget, infos);
  const primary = constraints[0];
  const penalty = new BudgetPenalty(model, infos, constraints);
  const { optimizer, schedule } = makeOptimizer(
    model,
    options.optimizer ?? {},
    options.epochs * stepsPerEpoch(options),
  );
  const costOf = async () => {
    const bits = await getBits(model);
    const cost = primary.model.evaluate(infos, assignmentFor(infos, bits)).total;
    return { bits, cost, ratio: cost / primary.target };
  };

  const done = options.resume?.epochsDone ?? 0;
  if (options.resume) await options.resume.restore(model, optimizer);

  options.onEvent?.({ type: 'stage', stage: 'search', epochs: searchEpochs });
  for (let epoch = Math.min(done, searchEpochs); epoch < searchEpochs; epoch++) {
    const started = Date.now();
    const r = await searchEpoch(options, penalty, optimizer, schedule, epoch);
    options.onEvent?.({
      type: 'epoch',
      stage: 'search',
      epoch,
      ...r,
      seconds: (Date.now() - started) / 1000,
      ...(await costOf()),
    });
    await options.onEpochEnd?.({ stage: 'search', epochsDone: epoch + 1, model, optimizer });
  }

  let discretization: DiscretizeResult;
  let fractionalAccuracy: number;
  let roundedAccuracy: number | undefined;
  if (done > searchEpochs) {
    // Resumed inside the fine-tune: the integer bits are in the restored λ; freeze them again.
    const saved = options.resume;
    if (!saved?.discretization || saved.fractionalAccuracy === undefined) {
      throw new Error(
        `runFracBits: resuming after epoch ${done} (past the ${searchEpochs} search epochs) needs resume.discretization and resume.fractionalAccuracy`,
      );
    }
    discretization = saved.discretization;
    fractionalAccuracy = saved.fractionalAccuracy;
    roundedAccuracy = saved.roundedAccuracy;
    setIntegerBits(
      model,
      infos.map((info, i) => ({ name: info.name, ...discretization.bits[i] })),
    );
  } else {
    options.onEvent?.({ type: 'stage', stage: 'discretize' });
    const fractional = await evaluate(model, options.testLoader, { lossFn: options.lossFn });
    options.onEvent?.({
      type: 'eval',
      stage: 'fractional',
      accuracy: fractional.accuracy,
      loss: fractional.loss,
    });
    fractionalAccuracy = fractional.accuracy;
    discretization = discretize({
      layers: infos,
      bits: assignmentFor(infos, await getBits(model)),
      costModel: primary.model,
      target: primary.target,
      bitsRange: range,
      activationBitsRange: options.activationBitsRange,
    });
    setIntegerBits(
      model,
      infos.map((info, i) => ({ name: info.name, ...discretization.bits[i] })),
    );
    // The discretize event comes first: listeners (e.g. the pruning mask) see the integer model
    // before it is evaluated.
    options.onEvent?.({ type: 'discretize', result: discretization, fractionalAccuracy });
    const rounded = await evaluate(model, options.testLoader, { lossFn: options.lossFn });
    options.onEvent?.({ type: 'eval', stage: 'rounded', accuracy: rounded.accuracy, loss: rounded.loss });
    roundedAccuracy = rounded.accuracy;
  }

  const finetuneDone = Math.max(0, done - searchEpochs);
  options.onEvent?.({ type: 'stage', stage: 'finetune', epochs: finetuneEpochs });
  await train(
    options,
    optimizer,
    schedule,
    finetuneEpochs - finetuneDone,
    searchEpochs + finetuneDone,
    costOf,
    { discretization, fractionalAccuracy, ...(roundedAccuracy !== undefined ? { roundedAccuracy } : {}) },
  );
  const final = await finalEval(options);
  const bits = await getBits(model);
  return {
    model,
    layers,
    infos,
    bits,
    accuracy: final.accuracy,
    loss: final.loss,
    cost: discretization.cost,
    target: primary.target,
    ratio: discretization.ratio,
    unit: primary.model.unit,
    satRescale: options.satRescale ?? false,
    discretization,
    fractionalAccuracy,
    ...(roundedAccuracy !== undefined ? { roundedAccuracy } : {}),
    kappa: constraints.map((c) => c.kappa),
  };
}

export interface RunUniformQatOptions extends CommonOptions {
  /** The uniform bit-width of every non-pinned layer (weights and activations). */
  readonly bits: number;
  /** Cost model to report the result with (e.g. BitOps); target = the same model's cost. */
  readonly costModel: CostModel;
}

/**
 * The uniform-precision QAT baseline: every non-pinned layer at W`bits`A`bits` (pinned layers as
 * in FracBits), trained for all `epochs` with the same optimizer and schedule, then evaluated.
 */
export async function runUniformQat(options: RunUniformQatOptions): Promise<RunResult> {
  checkEpochs('runUniformQat', options.epochs, 1);
  const { model, layers } = quantizeModel(options.model, {
    targetBits: options.bits,
    granularity: options.granularity,
    bitsRange: options.bitsRange ?? [Math.min(2, options.bits), 8],
    satRescale: options.satRescale,
    alphaInit: options.alphaInit,
    activationSigned: options.activationSigned,
    inputShape: options.inputShape,
    mode: 'fixed',
  });
  const infos = layerInfos(model, options.inputShape);
  const { optimizer, schedule } = makeOptimizer(
    model,
    options.optimizer ?? {},
    options.epochs * stepsPerEpoch(options),
  );
  const costOf = async () => {
    const bits = await getBits(model);
    const cost = options.costModel.evaluate(infos, assignmentFor(infos, bits)).total;
    return { bits, cost, ratio: 1 };
  };
  const done = Math.min(options.resume?.epochsDone ?? 0, options.epochs);
  if (options.resume) await options.resume.restore(model, optimizer);
  options.onEvent?.({ type: 'stage', stage: 'finetune', epochs: options.epochs });
  await train(options, optimizer, schedule, options.epochs - done, done, costOf);
  const final = await finalEval(options);
  const { bits, cost } = await costOf();
  return {
    model,
    layers,
    infos,
    bits,
    accuracy: final.accuracy,
    loss: final.loss,
    cost,
    target: cost,
    ratio: 1,
    unit: options.costModel.unit,
    satRescale: options.satRescale ?? false,
  };
}
