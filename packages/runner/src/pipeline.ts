/**
 * The main job (Node): model source → float pre-training (cached) → FracBits search or uniform
 * QAT → discretise → fine-tune → evaluate → export → report, writing everything into a run
 * directory and emitting typed events. Every epoch ends with an atomic checkpoint, and `resume`
 * continues from the last one to exactly the result an uninterrupted run reaches (CPU backend).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  assignmentFor,
  type BudgetSpec as CoreBudget,
  type EpochState,
  type FracBitsEvent,
  type FracBitsResult,
  getBits,
  layerInfos,
  quantizeModel,
  type ResumeFrom,
  type RunFracBitsOptions,
  type RunResult,
  runFracBits,
  runUniformQat,
} from '@fracbits/core';
import { resolveTarget } from '@fracbits/cost';
import { DataLoader, evaluate, type Module, type SGD } from '@fracbits/nn';
import { loadCheckpoint, saveCheckpoint } from '@fracbits/nn/node';
import type { CostModel } from '@fracbits/plugin-api';
import { prunedChannelReport, removePrunedChannels, withPruning } from '@fracbits/prune';
import { setBackend } from '@fracbits/tensor';
import { makeBitsFile } from './bits-file.js';
import { budgetTarget, DEFAULT_KAPPA_UNITS, formatBudgetSpec } from './budget-spec.js';
import { defaultCacheDir, floatCachePath, sha256 } from './cache.js';
import type { ResolvedConfig } from './config.js';
import { costTable, equivalentUniformBits } from './costs.js';
import { type LoadedData, loadData } from './data.js';
import type { DiscretiseEvent, EpochEvent, EventSink, RunEvent, StageName } from './events.js';
import { trainFloat } from './float.js';
import { RunInterrupted, throwIfInterrupted } from './interrupt.js';
import { resolveModelSource } from './model-source.js';
import { selectBackend } from './node-backend.js';
import type { PluginRegistry } from './registry.js';
import { renderReport } from './report.js';
import { RUN_FILES, RunDirectory } from './run-dir.js';
import {
  type EpochPoint,
  formatPruned,
  type PrunedLayerSummary,
  type ReportData,
  type RunSummary,
} from './summary.js';
import { packageVersions } from './versions.js';

export interface PipelineOptions {
  readonly config: ResolvedConfig;
  readonly registry: PluginRegistry;
  readonly runDir: string;
  readonly emit?: EventSink;
  /** Aborting stops the run at the next training step (RunInterrupted); checkpoints stay. */
  readonly signal?: AbortSignal;
  /** Continue the run in `runDir` from its last checkpoint. */
  readonly resume?: boolean;
  /** The command line, recorded in run.json. */
  readonly command?: readonly string[];
}

export interface PipelineResult {
  readonly summary: RunSummary;
  readonly report: ReportData;
}

/** Fields of run.json. */
export interface RunInfo {
  status: 'running' | 'interrupted' | 'failed' | 'done';
  seed: number;
  backend: string;
  adapter: string;
  versions: Record<string, string>;
  startedAt: string;
  finishedAt?: string;
  resumed: string[];
  command?: readonly string[];
  data?: LoadedData['info'];
  float?: { source: string; accuracy: number; cache?: string };
  error?: string;
}

/** What the QAT stage hands to `finish`: uniform, FracBits, or FracBits with channels pruned. */
type QatResult = RunResult | FracBitsResult | (FracBitsResult & { readonly pruned: PrunedLayerSummary[] });

interface Budgets {
  readonly core: CoreBudget[];
  readonly primary: { readonly model: CostModel; readonly target: number };
}

/** Cost models and resolved targets of the config's budgets; κ per the model's unit. */
function makeBudgets(
  config: ResolvedConfig,
  registry: PluginRegistry,
  infos: Parameters<typeof resolveTarget>[1],
): Budgets {
  const core = config.budgets.map((spec) => {
    const unit = spec.unit ?? DEFAULT_KAPPA_UNITS[spec.cost];
    const costModel = registry.costModel(spec.cost, { ...(spec.options ?? {}), ...(unit ? { unit } : {}) });
    return { costModel, target: budgetTarget(spec), kappa: spec.kappa ?? config.kappa };
  });
  const primary = core[0];
  return {
    core,
    primary: { model: primary.costModel, target: resolveTarget(primary.costModel, infos, primary.target) },
  };
}

/** The budget in reporting units: GBitOps for BitOps, MB for size, else the model's unit. */
function displayBudget(
  config: ResolvedConfig,
  registry: PluginRegistry,
  target: number,
  model: CostModel,
): { value: number; unit: string; model: CostModel } {
  const cost = config.budgets[0].cost;
  const unit = cost === 'bitops' ? 'GBitOps' : cost === 'size' ? 'MB' : model.unit;
  if (unit === model.unit) return { value: target, unit, model };
  const display = registry.costModel(cost, { ...(config.budgets[0].options ?? {}), unit });
  return {
    value: display.parseBudget ? display.parseBudget(`${target}${model.unit}`) : target,
    unit,
    model: display,
  };
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { config, signal } = options;
  const dir = new RunDirectory(options.runDir);
  const history: { pretrain: EpochPoint[]; qat: EpochPoint[] } = { pretrain: [], qat: [] };
  const emit: EventSink = (event) => {
    options.emit?.(event);
    if (event.type !== 'step' || event.loss !== undefined) dir.appendEvent(event);
  };
  const notice = (message: string) => emit({ type: 'notice', message });

  const { backend, notice: backendNotice } = await selectBackend(config.backend);
  setBackend(backend);
  notice(backendNotice);

  const previous =
    options.resume && dir.has(RUN_FILES.run) ? dir.readJson<RunInfo>(RUN_FILES.run) : undefined;
  const run: RunInfo = {
    ...(previous ?? { startedAt: new Date().toISOString(), resumed: [] }),
    status: 'running',
    seed: config.seed,
    backend: backend.name,
    adapter: backend.description,
    versions: packageVersions(),
    ...(options.command ? { command: options.command } : {}),
  } as RunInfo;
  if (previous) run.resumed = [...(previous.resumed ?? []), new Date().toISOString()];
  await dir.writeJson(RUN_FILES.config, config);
  const saveRun = () => dir.writeJson(RUN_FILES.run, run);
  await saveRun();

  try {
    const result = await stages(options, dir, run, history, emit, notice, signal);
    run.status = 'done';
    run.finishedAt = new Date().toISOString();
    await saveRun();
    return result;
  } catch (e) {
    run.status = e instanceof RunInterrupted ? 'interrupted' : 'failed';
    if (!(e instanceof RunInterrupted)) run.error = (e as Error).message;
    await saveRun();
    throw e;
  }
}

async function stages(
  options: PipelineOptions,
  dir: RunDirectory,
  run: RunInfo,
  history: { pretrain: EpochPoint[]; qat: EpochPoint[] },
  emit: EventSink,
  notice: (m: string) => void,
  signal: AbortSignal | undefined,
): Promise<PipelineResult> {
  const { config, registry } = options;

  // Data and model source.
  const data = await loadData(config, registry);
  run.data = data.info;
  notice(
    `data: ${data.info.name}, ${data.info.trainSize} training images${data.info.subset ? ` (class-balanced subset, ${data.info.subset.perClass} per class, seed ${data.info.subset.seed})` : ''}, ${data.info.testSize} test images`,
  );
  const source = await resolveModelSource(
    {
      model: config.model,
      seed: config.seed,
      inputShape: data.train.shape,
      numClasses: data.train.numClasses,
    },
    registry,
  );
  const inputShape = [...source.inputShape];

  // Float model: run dir (resume) → given checkpoint → cache → pre-training.
  const model = await source.build();
  const floatAccuracy = await floatStage(
    options,
    dir,
    run,
    data,
    model,
    source,
    history,
    emit,
    notice,
    signal,
  );
  await dir.writeJson(RUN_FILES.run, run);

  // Budgets need the quantized layers: describe them on a throwaway copy.
  const probe = await source.build();
  quantizeModel(probe, { targetBits: 4, mode: 'fixed', inputShape, bitsRange: config.bitsRange });
  const infos = layerInfos(probe, inputShape);
  const budgets = makeBudgets(config, registry, infos);
  const firstTarget = budgetTarget(config.budgets[0]);
  const uniformB = firstTarget.kind === 'uniform' ? firstTarget.bits : undefined;
  const initBits =
    config.initBits ??
    uniformB ??
    equivalentUniformBits(budgets.primary.model, infos, budgets.primary.target, config.bitsRange);

  // QAT: search + discretise + fine-tune, or the uniform baseline.
  const qat = await qatStage(
    options,
    dir,
    data,
    model,
    inputShape,
    budgets,
    initBits,
    history,
    emit,
    notice,
    signal,
  );

  // Results, files, exports, report.
  return finish(
    options,
    dir,
    run,
    data,
    model,
    inputShape,
    qat,
    budgets,
    floatAccuracy,
    history,
    emit,
    notice,
  );
}

async function floatStage(
  options: PipelineOptions,
  dir: RunDirectory,
  run: RunInfo,
  data: LoadedData,
  model: Module,
  source: Awaited<ReturnType<typeof resolveModelSource>>,
  history: { pretrain: EpochPoint[] },
  emit: EventSink,
  notice: (m: string) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { config } = options;
  const evaluateFloat = async () =>
    (
      await evaluate(
        model,
        new DataLoader(data.test, { batchSize: Math.max(256, config.batchSize), shuffle: false }),
      )
    ).accuracy;
  const metaAccuracy = (meta: unknown) => (meta as { accuracy?: number } | undefined)?.accuracy;

  if (dir.has(RUN_FILES.float)) {
    const meta = await loadCheckpoint(dir.path(RUN_FILES.float), { model });
    history.pretrain.push(...(((meta as { history?: EpochPoint[] })?.history ?? []) as EpochPoint[]));
    const accuracy = metaAccuracy(meta) ?? (await evaluateFloat());
    notice(`float model: ${dir.path(RUN_FILES.float)} (test accuracy ${(100 * accuracy).toFixed(2)} %)`);
    return accuracy;
  }
  const saveFloat = async (accuracy: number, how: string, cache?: string) => {
    await saveCheckpoint(dir.path(RUN_FILES.float), {
      model,
      metadata: { accuracy, history: history.pretrain, source: how },
    });
    run.float = { source: how, accuracy, ...(cache ? { cache } : {}) };
  };

  if (config.pretrain.checkpoint) {
    await loadCheckpoint(config.pretrain.checkpoint, { model, strict: false });
    const accuracy = await evaluateFloat();
    notice(`float model: ${config.pretrain.checkpoint} (test accuracy ${(100 * accuracy).toFixed(2)} %)`);
    await saveFloat(accuracy, `checkpoint ${config.pretrain.checkpoint}`);
    return accuracy;
  }
  if (config.pretrain.epochs === 0) {
    const accuracy = await evaluateFloat();
    notice(
      `float model: ${source.name} as loaded, no pre-training (test accuracy ${(100 * accuracy).toFixed(2)} %)`,
    );
    await saveFloat(accuracy, 'as loaded');
    return accuracy;
  }

  const cacheDir = config.cacheDir ?? defaultCacheDir();
  const cachePath = floatCachePath(cacheDir, {
    model: source.name,
    ...(source.fileHash ? { modelFile: source.fileHash } : {}),
    data: {
      name: data.info.name,
      trainSize: data.info.trainSize,
      subset: data.info.subset ? { perClass: data.info.subset.perClass, seed: data.info.subset.seed } : null,
      // The training images and labels themselves, so another directory's files never hit.
      content:
        sha256(
          new Uint8Array(
            data.train.images.buffer,
            data.train.images.byteOffset,
            data.train.images.byteLength,
          ),
        ) +
        sha256(
          new Uint8Array(
            data.train.labels.buffer,
            data.train.labels.byteOffset,
            data.train.labels.byteLength,
          ),
        ),
    },
    pretrain: { epochs: config.pretrain.epochs, lr: config.pretrain.lr },
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    seed: config.seed,
    backend: run.backend,
    ...(config.maxStepsPerEpoch ? { maxStepsPerEpoch: config.maxStepsPerEpoch } : {}),
  });
  const checkpoint = dir.path(RUN_FILES.pretrainCheckpoint);
  if (existsSync(cachePath) && !existsSync(checkpoint)) {
    const meta = await loadCheckpoint(cachePath, { model });
    history.pretrain.push(...(((meta as { history?: EpochPoint[] })?.history ?? []) as EpochPoint[]));
    const accuracy = metaAccuracy(meta) ?? (await evaluateFloat());
    notice(`float model: cached pre-training ${cachePath} (test accuracy ${(100 * accuracy).toFixed(2)} %)`);
    await saveFloat(accuracy, 'cache', cachePath);
    return accuracy;
  }

  let resume: { epochsDone: number; restore: (m: Module, o: SGD) => Promise<void> } | undefined;
  if (existsSync(checkpoint)) {
    // Read the metadata first (epochs done, history); the weights load inside trainFloat.
    const { decodeCheckpoint } = await import('@fracbits/nn');
    const { readFile } = await import('node:fs/promises');
    const meta = decodeCheckpoint(new Uint8Array(await readFile(checkpoint))).metadata as {
      epochsDone: number;
      history: EpochPoint[];
    };
    history.pretrain.push(...meta.history);
    resume = {
      epochsDone: meta.epochsDone,
      restore: async (m, o) => void (await loadCheckpoint(checkpoint, { model: m, optimizer: o })),
    };
    notice(`resuming float pre-training after epoch ${meta.epochsDone} of ${config.pretrain.epochs}`);
  }
  const result = await trainFloat(
    model,
    data,
    {
      epochs: config.pretrain.epochs,
      batchSize: config.batchSize,
      seed: config.seed,
      sgd: { lr: config.pretrain.lr, ...config.optimizer },
      stage: 'pretrain',
      readLossEvery: config.readLossEvery,
      evalEveryEpoch: config.evalEveryEpoch,
      ...(config.maxStepsPerEpoch ? { maxStepsPerEpoch: config.maxStepsPerEpoch } : {}),
      ...(signal ? { signal } : {}),
      ...(resume ? { resume } : {}),
      onEpochEnd: async (state) => {
        await saveCheckpoint(checkpoint, {
          model: state.model,
          optimizer: state.optimizer,
          metadata: { epochsDone: state.epochsDone, history: history.pretrain },
        });
      },
    },
    (event) => {
      if (event.type === 'epoch') {
        history.pretrain.push({
          stage: 'pretrain',
          epoch: event.epoch,
          loss: event.loss,
          seconds: event.seconds,
          ...(event.testAccuracy !== undefined ? { testAccuracy: event.testAccuracy } : {}),
        });
      }
      emit(event);
    },
  );
  mkdirSync(cacheDir, { recursive: true });
  await saveCheckpoint(cachePath, {
    model,
    metadata: { accuracy: result.testAccuracy, history: history.pretrain },
  });
  await saveFloat(result.testAccuracy, 'pre-training', cachePath);
  return result.testAccuracy;
}

interface QatMeta {
  readonly epochsDone: number;
  readonly history: EpochPoint[];
  readonly discretization?: FracBitsResult['discretization'];
  readonly fractionalAccuracy?: number;
  readonly roundedAccuracy?: number;
}

async function qatStage(
  options: PipelineOptions,
  dir: RunDirectory,
  data: LoadedData,
  model: Module,
  inputShape: number[],
  budgets: Budgets,
  initBits: number,
  history: { qat: EpochPoint[] },
  emit: EventSink,
  notice: (m: string) => void,
  signal: AbortSignal | undefined,
): Promise<QatResult> {
  const { config } = options;
  const trainLoader = new DataLoader(data.train, {
    batchSize: config.batchSize,
    shuffle: true,
    seed: config.seed,
  });
  const testLoader = new DataLoader(data.test, {
    batchSize: Math.max(256, config.batchSize),
    shuffle: false,
  });
  const checkpoint = dir.path(RUN_FILES.qatCheckpoint);
  const steps = Math.min(trainLoader.length, config.maxStepsPerEpoch ?? Infinity);
  const searchEpochs =
    config.method === 'uniform' ? 0 : Math.max(1, Math.round(config.epochs * config.searchFraction));

  let resume: ResumeFrom | undefined;
  if (existsSync(checkpoint)) {
    const { decodeCheckpoint } = await import('@fracbits/nn');
    const { readFile } = await import('node:fs/promises');
    const meta = decodeCheckpoint(new Uint8Array(await readFile(checkpoint))).metadata as QatMeta;
    history.qat.push(...meta.history);
    resume = {
      epochsDone: meta.epochsDone,
      restore: async (m, o) => void (await loadCheckpoint(checkpoint, { model: m, optimizer: o })),
      ...(meta.discretization ? { discretization: meta.discretization } : {}),
      ...(meta.fractionalAccuracy !== undefined ? { fractionalAccuracy: meta.fractionalAccuracy } : {}),
      ...(meta.roundedAccuracy !== undefined ? { roundedAccuracy: meta.roundedAccuracy } : {}),
    };
    notice(`resuming QAT after epoch ${meta.epochsDone} of ${config.epochs}`);
  }

  const fillAccuracy = (epoch: number, testAccuracy: number) => {
    const i = history.qat.findIndex((p) => p.epoch === epoch);
    if (i >= 0 && history.qat[i].testAccuracy === undefined)
      history.qat[i] = { ...history.qat[i], testAccuracy };
  };
  const stageOf = (epoch: number): StageName => (epoch < searchEpochs ? 'search' : 'finetune');
  let lastEpoch: Extract<FracBitsEvent, { type: 'epoch' }> | undefined;
  let open: StageName | undefined;
  const startStage = (stage: StageName, epochs?: number) => {
    if (open) emit({ type: 'stage', stage: open, status: 'end' });
    open = stage;
    emit({
      type: 'stage',
      stage,
      status: 'start',
      ...(epochs !== undefined ? { epochs, stepsPerEpoch: steps, totalSteps: epochs * steps } : {}),
    });
  };
  const primaryUnit = budgets.primary.model.unit;
  let discretised: DiscretiseEvent | undefined;
  const onEvent = (e: FracBitsEvent) => {
    switch (e.type) {
      case 'stage':
        if (e.stage === 'evaluate') startStage('evaluate');
        else if (e.stage === 'discretize') startStage('discretise');
        else startStage(e.stage, e.epochs);
        break;
      case 'batch': {
        const c = e.penalty?.constraints[0];
        emit({
          type: 'step',
          stage: e.stage,
          epoch: e.epoch,
          step: e.step,
          stepInEpoch: e.batch + 1,
          stepsPerEpoch: e.batches,
          totalSteps: config.epochs * steps,
          lr: e.lr,
          ...(e.loss !== undefined ? { loss: e.loss } : {}),
          ...(c ? { cost: c.cost, budget: c.target, unit: c.unit } : {}),
        });
        throwIfInterrupted(signal);
        break;
      }
      case 'epoch':
        lastEpoch = e;
        break;
      case 'discretize':
        // Emitted with the rounded model's accuracy, evaluated right after this event.
        discretised = {
          type: 'discretise',
          offset: e.result.offset,
          trials: e.result.trials.length,
          moves: e.result.moves.length,
          fractionalCost: e.result.fractionalCost,
          cost: e.result.cost,
          budget: budgets.primary.target,
          ratio: e.result.ratio,
          inBand: e.result.inBand,
          fractionalAccuracy: e.fractionalAccuracy,
        };
        break;
      case 'eval':
        if (e.stage === 'fractional')
          notice(`fractional model before discretisation: test accuracy ${(100 * e.accuracy).toFixed(2)} %`);
        if (e.stage === 'rounded') {
          notice(
            `integer model after rounding, before fine-tuning: test accuracy ${(100 * e.accuracy).toFixed(2)} %`,
          );
          if (discretised) emit({ ...discretised, roundedAccuracy: e.accuracy });
          discretised = undefined;
          break;
        }
        fillAccuracy(e.stage === 'fractional' ? searchEpochs - 1 : config.epochs - 1, e.accuracy);
        break;
    }
  };
  const onEpochEnd = async (state: EpochState) => {
    const epoch = state.epochsDone - 1;
    // The last search epoch and the last epoch are evaluated by runFracBits itself (fractional
    // and final accuracy): their points are filled in from those evaluations.
    const evaluatedByCore =
      state.epochsDone === config.epochs ||
      (config.method === 'fracbits' && state.epochsDone === searchEpochs);
    const testAccuracy =
      config.evalEveryEpoch && !evaluatedByCore
        ? (await evaluate(state.model, testLoader)).accuracy
        : undefined;
    const e = lastEpoch;
    const cost = e?.cost;
    const point: EpochPoint = {
      stage: stageOf(epoch),
      epoch,
      loss: e?.loss ?? Number.NaN,
      seconds: e?.seconds ?? 0,
      ...(testAccuracy !== undefined ? { testAccuracy } : {}),
      ...(cost !== undefined ? { cost, budget: budgets.primary.target, unit: primaryUnit } : {}),
    };
    history.qat.push(point);
    const event: EpochEvent = {
      type: 'epoch',
      stage: point.stage as StageName,
      epoch,
      epochs: config.epochs,
      loss: point.loss,
      seconds: point.seconds,
      ...(testAccuracy !== undefined ? { testAccuracy } : {}),
      ...(cost !== undefined ? { cost, budget: budgets.primary.target, unit: primaryUnit } : {}),
      ...(e
        ? { bits: e.bits.map((b) => ({ layer: b.name, w: b.w.length === 1 ? b.w[0] : b.w, a: b.a })) }
        : {}),
    };
    emit(event);
    const meta: QatMeta = {
      epochsDone: state.epochsDone,
      history: history.qat,
      ...(state.discretization ? { discretization: state.discretization } : {}),
      ...(state.fractionalAccuracy !== undefined ? { fractionalAccuracy: state.fractionalAccuracy } : {}),
      ...(state.roundedAccuracy !== undefined ? { roundedAccuracy: state.roundedAccuracy } : {}),
    };
    await saveCheckpoint(checkpoint, { model: state.model, optimizer: state.optimizer, metadata: meta });
  };

  const common = {
    model,
    inputShape,
    trainLoader,
    testLoader,
    epochs: config.epochs,
    granularity: config.granularity,
    bitsRange: config.bitsRange,
    ...(config.activationBitsRange ? { activationBitsRange: config.activationBitsRange } : {}),
    satRescale: config.satRescale,
    alphaInit: config.alphaInit,
    optimizer: { lr: config.lr, ...config.optimizer },
    readLossEvery: config.readLossEvery,
    ...(config.maxStepsPerEpoch ? { maxStepsPerEpoch: config.maxStepsPerEpoch } : {}),
    onEvent,
    onEpochEnd,
    ...(resume ? { resume } : {}),
  } as const;
  const result =
    config.method === 'uniform'
      ? await runUniformQat({
          ...common,
          bits: config.bits ?? Math.round(initBits),
          costModel: budgets.primary.model,
        })
      : await runFracBits(
          fracbitsOptions(config, {
            ...common,
            budget: budgets.core,
            targetBits: initBits,
            searchFraction: config.searchFraction,
          }),
        );
  if (open) emit({ type: 'stage', stage: open, status: 'end' });
  if (config.prune) return prune(dir, result as FracBitsResult, inputShape, emit, notice);
  return result;
}

/**
 * With `prune`: kernel-wise weight bits in [0, max], activations in config.activationBitsRange,
 * 0-bit channels masked while fine-tuning (@fracbits/prune).
 */
function fracbitsOptions(config: ResolvedConfig, options: RunFracBitsOptions): RunFracBitsOptions {
  if (!config.prune) return options;
  return withPruning(options, {
    maxBits: config.bitsRange[1],
    ...(config.activationBitsRange ? { minActivationBits: config.activationBitsRange[0] } : {}),
  });
}

/**
 * The "prune physically" stage (FRACBITS.md §5): removes the 0-bit channels (and what they feed)
 * from the model; the costs and exports then describe the smaller model. The channels are kept in
 * pruned.json so `fracbits eval` / `export` can rebuild the same shapes.
 */
async function prune(
  dir: RunDirectory,
  result: FracBitsResult,
  inputShape: number[],
  emit: EventSink,
  notice: (m: string) => void,
): Promise<FracBitsResult & { pruned: PrunedLayerSummary[] }> {
  emit({ type: 'stage', stage: 'prune', status: 'start' });
  const zeroBit = prunedChannelReport(result.bits);
  const removal = await removePrunedChannels(result.model, result.bits, { inputShape });
  await dir.writeJson(RUN_FILES.pruned, Object.fromEntries(zeroBit.map((p) => [p.layer, p.channels])));
  const pruned: PrunedLayerSummary[] = zeroBit.map((p) => ({
    layer: p.layer,
    of: p.of,
    removed: removal.removed.find((r) => r.layer === p.layer)?.channels ?? [],
    keptZeroed: removal.kept
      .filter((k) => k.layer === p.layer)
      .map(({ channels, reason }) => ({ channels, reason })),
  }));
  notice(`pruned: ${formatPruned(pruned)}`);
  emit({ type: 'stage', stage: 'prune', status: 'end' });
  return {
    ...result,
    infos: layerInfos(result.model, inputShape),
    bits: await getBits(result.model),
    pruned,
  };
}

async function finish(
  options: PipelineOptions,
  dir: RunDirectory,
  run: RunInfo,
  data: LoadedData,
  model: Module,
  inputShape: number[],
  qat: QatResult,
  budgets: Budgets,
  floatAccuracy: number,
  history: { pretrain: EpochPoint[]; qat: EpochPoint[] },
  emit: EventSink,
  notice: (m: string) => void,
): Promise<PipelineResult> {
  const { config, registry } = options;
  const files: Record<string, string> = {};
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const assignment = assignmentFor(qat.infos, qat.bits);
  const table = costTable(qat.infos, assignment);
  const primaryCost = budgets.primary.model.evaluate(qat.infos, assignment).total;
  const shown = displayBudget(config, registry, budgets.primary.target, budgets.primary.model);
  const ratio = primaryCost / budgets.primary.target;

  emit({ type: 'stage', stage: 'export', status: 'start' });
  const modelName = source(config.model);
  files.model = rel(dir.path(RUN_FILES.model));
  await saveCheckpoint(dir.path(RUN_FILES.model), {
    model,
    metadata: { bits: qat.bits, accuracy: qat.accuracy, config },
  });
  files.bits = rel(
    await dir.writeJson(RUN_FILES.bits, makeBitsFile(config.model, config.granularity, qat.bits)),
  );
  files.float = rel(dir.path(RUN_FILES.float));
  const failures: string[] = [];
  for (const format of config.exports) {
    try {
      const exporter = registry.exporter(format);
      const produced = await exporter.export({
        model,
        layers: qat.infos,
        bits: assignment,
        format,
        inputShape,
        name: `${modelName}-${config.method}`,
        metadata: {
          accuracy: qat.accuracy,
          bitops: table.bitops,
          sizeMB: table.sizeMB,
          budget: formatBudgetSpec(config.budgets[0]),
        },
      });
      for (const f of produced) {
        const path = await dir.writeFile(join(RUN_FILES.exports, f.path), f.data);
        files[`export:${f.path}`] = rel(path);
      }
    } catch (e) {
      failures.push(`${format}: ${(e as Error).message}`);
      notice(`export ${format} failed: ${(e as Error).message}`);
    }
  }
  emit({ type: 'stage', stage: 'export', status: 'end' });

  files.report = rel(dir.path(RUN_FILES.report));
  files.events = rel(dir.path(RUN_FILES.events));
  files.config = rel(dir.path(RUN_FILES.config));
  files.run = rel(dir.path(RUN_FILES.run));
  files.result = rel(dir.path(RUN_FILES.result));
  const summary: RunSummary = {
    model: config.model,
    data: data.info.name,
    budget: formatBudgetSpec(config.budgets[0]),
    granularity: config.granularity,
    accuracy: { float: floatAccuracy, final: qat.accuracy },
    cost: { bitops: table.bitops, sizeMB: table.sizeMB, budget: shown.value, ratio, unit: shown.unit },
    bits: qat.bits.map((b) => ({ layer: b.name, w: b.w.length === 1 ? b.w[0] : b.w, a: b.a })),
    ...('pruned' in qat ? { pruned: qat.pruned } : {}),
    runDir: rel(dir.dir),
    files,
  };
  const fracbits = 'discretization' in qat ? qat : undefined;
  run.status = 'done';
  const report: ReportData = {
    title: `fracbits: ${config.model} on ${data.info.name}, ${summary.budget}`,
    method: config.method,
    summary,
    run: { ...run },
    config,
    history,
    table,
    ...(fracbits
      ? {
          discretisation: {
            offset: fracbits.discretization.offset,
            moves: fracbits.discretization.moves.length,
            fractionalCost: fracbits.discretization.fractionalCost,
            inBand: fracbits.discretization.inBand,
            fractionalAccuracy: fracbits.fractionalAccuracy,
            ...(fracbits.roundedAccuracy !== undefined ? { roundedAccuracy: fracbits.roundedAccuracy } : {}),
          },
        }
      : {}),
  };
  emit({ type: 'stage', stage: 'report', status: 'start' });
  await dir.writeJson(RUN_FILES.reportData, report);
  await dir.writeFile(RUN_FILES.report, renderReport(report));
  await dir.writeJson(RUN_FILES.result, summary);
  emit({ type: 'stage', stage: 'report', status: 'end' });
  emit({ type: 'result', stage: 'report', values: summary as unknown as Record<string, unknown> });
  if (failures.length)
    throw new Error(
      `the run finished (${rel(dir.dir)}) but ${failures.length} export(s) failed: ${failures.join('; ')}`,
    );
  return { summary, report };
}

function source(model: string): string {
  return model.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
}

export type { RunEvent };
