/**
 * Joint quantization and pruning with FracBits (FRACBITS.md §5): kernel-wise bit-widths whose
 * range starts at 0, so the budget penalty can drive single channels to 0 bits. After the
 * discretisation the 0-bit channels are masked (their bias and the BatchNorm channels they feed
 * zeroed), re-masked after every fine-tuning step so the fine-tuned and evaluated model is the
 * pruned one, and finally removed physically.
 */
import {
  type FracBitsEvent,
  type FracBitsResult,
  type LayerBits,
  layerInfos,
  type RunFracBitsOptions,
  runFracBits,
} from '@fracbits/core';
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';
import { modelBits } from './describe.js';
import { analyzeChannels } from './graph.js';
import { type ChannelMasker, createMasker, resolvePruning } from './mask.js';
import { type RemovalResult, removePrunedChannels } from './remove.js';

export interface PruningOptions {
  /** Top of the bit range (default 8); the bottom is 0, where a channel is pruned. */
  readonly maxBits?: number;
  /**
   * Keep the 0-bit channels' biases and BatchNorm channels at zero while fine-tuning (default
   * true), so the fine-tuned model is exactly the model that removal produces.
   */
  readonly enforceMask?: boolean;
  /**
   * Bottom of the input-activation range (default 2, as the usual [2, 8]): λa searches in
   * [minActivationBits, maxBits] (core's `activationBitsRange`). A 0-bit input would zero a whole
   * layer: only channels are meant to be pruned.
   */
  readonly minActivationBits?: number;
}

function checkPruningOptions(options: RunFracBitsOptions, maxBits: number, minActivationBits: number): void {
  const who = 'withPruning';
  if (options.granularity !== undefined && options.granularity !== 'kernel') {
    throw new Error(
      `${who}: pruning needs granularity 'kernel' (one bit-width per channel), got '${options.granularity}'`,
    );
  }
  if (options.bitsRange !== undefined && options.bitsRange[0] !== 0) {
    throw new Error(
      `${who}: pruning needs a bit range starting at 0 (0 bits is a pruned channel), got [${options.bitsRange.join(', ')}]`,
    );
  }
  if (!(Number.isInteger(maxBits) && maxBits >= 1 && maxBits <= 8)) {
    throw new Error(`${who}: expected maxBits to be an integer in [1, 8], got ${maxBits}`);
  }
  if (!(Number.isInteger(minActivationBits) && minActivationBits >= 0 && minActivationBits <= maxBits)) {
    throw new Error(
      `${who}: expected minActivationBits to be an integer in [0, maxBits = ${maxBits}], got ${minActivationBits}`,
    );
  }
}

/** Masks of the 0-bit channels of integer `bits` (aligned with layerInfos' order, as runFracBits). */
function maskerFor(options: RunFracBitsOptions, bits: readonly BitAssignment[]): ChannelMasker {
  const infos = layerInfos(options.model, options.inputShape);
  const graph = analyzeChannels(options.model, options.inputShape);
  const spec = infos.map((info, i) => ({ name: info.name, w: bits[i].w }));
  return createMasker(graph, resolvePruning(graph, spec, 'withPruning'));
}

/**
 * `runFracBits` options for a pruning run: granularity 'kernel', bitsRange [0, maxBits],
 * activationBitsRange [minActivationBits, maxBits], and an `onEvent` that masks the 0-bit channels
 * when the fine-tuning starts and again after every fine-tuning step (then forwards every event to
 * the caller's `onEvent`). Throws on a layer-wise granularity or a range that does not start at 0.
 *
 * ```ts
 * const result = await runFracBits(withPruning({ model, inputShape, budget, targetBits: 2, … }));
 * const smaller = await removePrunedChannels(result.model, result.bits, { inputShape });
 * ```
 */
export function withPruning(options: RunFracBitsOptions, pruning: PruningOptions = {}): RunFracBitsOptions {
  const maxBits = pruning.maxBits ?? options.bitsRange?.[1] ?? 8;
  const minA = pruning.minActivationBits ?? 2;
  checkPruningOptions(options, maxBits, minA);
  const enforce = pruning.enforceMask ?? true;
  let masker: ChannelMasker | null = null;
  let discretized: readonly BitAssignment[] | null = null;
  const mask = (bits: readonly BitAssignment[] | null | undefined): void => {
    if (!enforce || !bits) return;
    masker?.dispose();
    masker = maskerFor(options, bits);
    masker.apply();
  };
  const onEvent = (event: FracBitsEvent): void => {
    if (event.type === 'discretize') {
      // The integer bits are set: mask now, so the evaluation right after rounding sees it too.
      discretized = event.result.bits;
      mask(discretized);
    } else if (event.type === 'stage' && event.stage === 'finetune' && !masker) {
      // Resumed inside the fine-tune: the integer bits were restored from the checkpoint.
      mask(discretized ?? options.resume?.discretization?.bits);
    } else if (event.type === 'batch' && event.stage === 'finetune') {
      masker?.apply();
    } else if (event.type === 'eval' && event.stage === 'final') {
      masker?.dispose();
      masker = null;
    }
    options.onEvent?.(event);
  };
  return {
    ...options,
    granularity: 'kernel',
    bitsRange: [0, maxBits],
    activationBitsRange: [minA, maxBits],
    onEvent,
  };
}

/** Pruned (0-bit) channels of one layer. */
export interface PrunedLayer {
  readonly layer: string;
  /** Indices of the 0-bit output channels. */
  readonly channels: number[];
  /** The layer's output channel count. */
  readonly of: number;
}

/**
 * Per layer with kernel-wise bits, its 0-bit channels (possibly none), from `getBits` /
 * `FracBitsResult.bits`. Layer-wise bits at 0 report every channel when `channelsOf` is given.
 */
export function prunedChannelReport(
  bits: readonly Pick<LayerBits, 'name' | 'w'>[],
  channelsOf?: (layer: string) => number,
): PrunedLayer[] {
  return bits.flatMap((b) => {
    if (b.w.length > 1) {
      return [{ layer: b.name, channels: b.w.flatMap((v, i) => (v === 0 ? [i] : [])), of: b.w.length }];
    }
    if (b.w[0] === 0 && channelsOf) {
      const of = channelsOf(b.name);
      return [{ layer: b.name, channels: Array.from({ length: of }, (_, i) => i), of }];
    }
    return [];
  });
}

export interface RunPruningOptions extends RunFracBitsOptions {
  readonly pruning?: PruningOptions & {
    /** Remove the 0-bit channels physically after the run (default true). */
    readonly remove?: boolean;
  };
}

export interface PruningResult extends FracBitsResult {
  /** 0-bit channels per kernel-wise layer after the discretisation. */
  readonly pruned: PrunedLayer[];
  /** The physical removal (null with `remove: false`); `model` is then the smaller model. */
  readonly removal: RemovalResult | null;
  /** Layers and bits of the smaller model (the unpruned ones with `remove: false`). */
  readonly prunedLayers: LayerInfo[];
  readonly prunedBits: BitAssignment[];
  /** The primary budget's cost of the smaller model (≤ `cost`: consumers lose inputs too). */
  readonly prunedCost: number;
}

/**
 * FracBits with pruning end to end: `runFracBits(withPruning(options))`, then the per-layer
 * pruned channels, the physical removal and the cost of the smaller model under the primary
 * budget's cost model.
 */
export async function runPruningSearch(options: RunPruningOptions): Promise<PruningResult> {
  const result = await runFracBits(withPruning(options, options.pruning));
  const pruned = prunedChannelReport(result.bits);
  const removal =
    (options.pruning?.remove ?? true)
      ? await removePrunedChannels(result.model, result.bits, { inputShape: options.inputShape })
      : null;
  const prunedLayers = layerInfos(result.model, options.inputShape);
  const prunedBits = await modelBits(result.model, prunedLayers);
  const budget = Array.isArray(options.budget) ? options.budget[0] : options.budget;
  const prunedCost = budget.costModel.evaluate(prunedLayers, prunedBits).total;
  return { ...result, pruned, removal, prunedLayers, prunedBits, prunedCost };
}
