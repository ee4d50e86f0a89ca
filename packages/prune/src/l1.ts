/**
 * The classic baseline: L1-norm filter pruning (Li et al., "Pruning Filters for Efficient
 * ConvNets", ICLR 2017) of a float model to a target ratio, per layer or globally, then physical
 * removal and fine-tuning with nn's SGD and training loop.
 *
 * Candidates come from the channel analysis: a unit is a set of output channels that can only be
 * removed together — one filter of a plain layer, a depthwise channel with the channel feeding
 * it, and (with `residual: true`) a residual channel with every branch writing it. A unit's score
 * is the mean |w| over all its filters, so units of different layers compare in global mode.
 */
import { quantizedLayers } from '@fracbits/core';
import {
  CosineSchedule,
  type DataLoader,
  type EpochResult,
  type LossFn,
  type Module,
  SGD,
  splitDecay,
  type TrainEvent,
  trainEpoch,
} from '@fracbits/nn';
import type { Shape } from '@fracbits/tensor';
import { analyzeChannels, type ChannelGraph, type LayerNode } from './graph.js';
import { type RemovalResult, removePrunedChannels } from './remove.js';

export interface L1SelectOptions {
  /** One sample's input shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** Fraction of the candidate channels to prune, in [0, 1). */
  readonly ratio: number;
  /**
   * 'layer' (default): `ratio` of each layer's output channels, its smallest-norm filters;
   * 'global': `ratio` of all candidate units, ranked by mean |w| across layers.
   */
  readonly scope?: 'layer' | 'global';
  /** Also prune residual channels (every branch of the add together). Default false, as Li et al. */
  readonly residual?: boolean;
  /** Layers that may lose channels (default: all that can). A unit needs all its layers allowed. */
  readonly layers?: readonly string[] | ((name: string) => boolean);
}

/** Output channels that can only be removed together, with their L1 statistics. */
export interface PruningUnit {
  /** The channels: (layer, channel) pairs, the first one owning the unit. */
  readonly channels: readonly { readonly layer: string; readonly channel: number }[];
  /** Σ|w| over the unit's filters, and the number of weights summed. */
  readonly l1: number;
  readonly weights: number;
  readonly residual: boolean;
}

function allowedBy(option: L1SelectOptions['layers']): (name: string) => boolean {
  if (option === undefined) return () => true;
  if (typeof option === 'function') return option;
  const names = new Set(option);
  return (name) => names.has(name);
}

/** Σ|w| of every output row of every layer (one readback per layer). */
async function rowNorms(layers: readonly LayerNode[]): Promise<Map<LayerNode, Float64Array>> {
  const out = new Map<LayerNode, Float64Array>();
  for (const layer of layers) {
    const w = await layer.module.weight.data();
    const rows = layer.outNodes.length;
    const per = w.length / rows;
    const norms = new Float64Array(rows);
    for (let i = 0; i < w.length; i++) norms[Math.floor(i / per)] += Math.abs(w[i]);
    out.set(layer, norms);
  }
  return out;
}

/** The units of a channel graph: sets with layer sources only, none of them blocked. */
export async function pruningUnits(graph: ChannelGraph): Promise<PruningUnit[]> {
  const norms = await rowNorms(graph.layers);
  const units: PruningUnit[] = [];
  for (const members of graph.sets.groups().values()) {
    if (members.some((n) => graph.blocked.has(n))) continue;
    const sources = members.flatMap((n) => {
      const s = graph.sources.get(n);
      return s ? [s] : [];
    });
    if (sources.some((s) => s.kind === 'fixed')) continue;
    const channels = sources.flatMap((s) =>
      s.kind === 'layer' ? [{ layer: s.layer, channel: s.channel }] : [],
    );
    if (channels.length === 0) continue;
    let l1 = 0;
    let weights = 0;
    for (const { layer, channel } of channels) {
      l1 += norms.get(layer)?.[channel] ?? 0;
      weights += layer.module.weight.size / layer.outNodes.length;
    }
    units.push({
      channels: channels.map((c) => ({ layer: c.layer.name, channel: c.channel })),
      l1,
      weights,
      residual: members.some((n) => graph.adds.has(n)),
    });
  }
  return units;
}

function checkSelectOptions(model: Module, options: L1SelectOptions): void {
  const who = 'selectL1Channels';
  if (!(options.ratio >= 0 && options.ratio < 1))
    throw new Error(`${who}: expected a ratio in [0, 1), got ${options.ratio}`);
  const scope = options.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global')
    throw new Error(`${who}: expected scope 'layer' | 'global', got '${scope}'`);
  if (quantizedLayers(model).length > 0) {
    throw new Error(
      `${who}: the model is quantized; L1 pruning works on float models (prune before quantizeModel, or use the zero-bit pruner)`,
    );
  }
}

/**
 * The channels L1-norm pruning removes: per layer (default) the `ratio`·C_out filters with the
 * smallest Σ|w| among its candidate units, or globally the `ratio` of all units with the smallest
 * mean |w|. Every layer keeps at least one channel. Returns pruned channels by layer name.
 */
export async function selectL1Channels(
  model: Module,
  options: L1SelectOptions,
): Promise<Map<string, number[]>> {
  checkSelectOptions(model, options);
  const graph = analyzeChannels(model, options.inputShape);
  const allowed = allowedBy(options.layers);
  const units = (await pruningUnits(graph)).filter(
    (u) => (options.residual === true || !u.residual) && u.channels.every((c) => allowed(c.layer)),
  );
  const left = new Map(graph.layers.map((l) => [l.name, l.outNodes.length] as const));
  const chosen: PruningUnit[] = [];
  /** Takes a unit unless it would empty one of its layers. */
  const take = (u: PruningUnit): boolean => {
    const per = new Map<string, number>();
    for (const c of u.channels) per.set(c.layer, (per.get(c.layer) ?? 0) + 1);
    if ([...per].some(([layer, n]) => (left.get(layer) ?? 0) - n < 1)) return false;
    for (const [layer, n] of per) left.set(layer, (left.get(layer) ?? 0) - n);
    chosen.push(u);
    return true;
  };
  const mean = (u: PruningUnit) => u.l1 / u.weights;
  if ((options.scope ?? 'layer') === 'global') {
    const count = Math.floor(options.ratio * units.length);
    for (const u of [...units].sort((a, b) => mean(a) - mean(b))) {
      if (chosen.length >= count) break;
      take(u);
    }
  } else {
    for (const layer of graph.layers) {
      const own = units.filter((u) => u.channels[0].layer === layer.name).sort((a, b) => mean(a) - mean(b));
      let count = Math.floor(options.ratio * layer.outNodes.length);
      for (const u of own) {
        if (count <= 0) break;
        if (take(u)) count--;
      }
    }
  }
  const out = new Map<string, number[]>();
  for (const u of chosen) {
    for (const { layer, channel } of u.channels) out.set(layer, [...(out.get(layer) ?? []), channel]);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

export interface FineTuneOptions {
  readonly trainLoader: DataLoader;
  readonly epochs: number;
  /** Base learning rate of a per-iteration cosine decay (default 0.01). */
  readonly lr?: number;
  /** SGD momentum (default 0.9, Nesterov) and weight decay on conv/linear weights (default 5e-4). */
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
  readonly lossFn?: LossFn;
  readonly maxStepsPerEpoch?: number;
  readonly onEvent?: (event: TrainEvent) => void;
}

/** Fine-tunes `model` with SGD (splitDecay groups) and a cosine schedule over all steps. */
export async function fineTune(model: Module, options: FineTuneOptions): Promise<EpochResult[]> {
  if (!(Number.isInteger(options.epochs) && options.epochs >= 0))
    throw new Error(`fineTune: expected epochs to be an integer ≥ 0, got ${options.epochs}`);
  const lr = options.lr ?? 0.01;
  const optimizer = new SGD(splitDecay(model, options.weightDecay ?? 5e-4), {
    lr,
    momentum: options.momentum ?? 0.9,
    nesterov: options.nesterov ?? true,
  });
  const steps = Math.min(options.trainLoader.length, options.maxStepsPerEpoch ?? Infinity);
  const schedule = new CosineSchedule({ baseLr: lr, totalSteps: Math.max(1, options.epochs * steps) });
  const results: EpochResult[] = [];
  for (let e = 0; e < options.epochs; e++) {
    results.push(
      await trainEpoch(model, options.trainLoader, optimizer, {
        schedule,
        lossFn: options.lossFn,
        maxSteps: options.maxStepsPerEpoch,
        onEvent: options.onEvent,
      }),
    );
  }
  return results;
}

export interface L1PruneOptions extends L1SelectOptions {
  /** Fine-tune the smaller model afterwards (omit to skip). */
  readonly fineTune?: FineTuneOptions;
}

export interface L1PruneResult<M extends Module = Module> extends RemovalResult<M> {
  /** The channels selected by L1 norm, by layer. */
  readonly selected: Map<string, number[]>;
  /** Fine-tuning epochs (empty without `fineTune`). */
  readonly epochs: EpochResult[];
}

/** L1-norm filter pruning: select, remove physically (in place), fine-tune. */
export async function l1Prune<M extends Module>(
  model: M,
  options: L1PruneOptions,
): Promise<L1PruneResult<M>> {
  const selected = await selectL1Channels(model, options);
  const removal = await removePrunedChannels(model, selected, { inputShape: options.inputShape });
  const epochs = options.fineTune ? await fineTune(model, options.fineTune) : [];
  return { ...removal, selected, epochs };
}
