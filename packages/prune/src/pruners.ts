/**
 * The two pruners as @fracbits/plugin-api `Pruner`s, written exactly as a third-party plugin
 * would: `zero-bit` removes the 0-bit channels of a FracBits result, `l1-norm` is the L1-norm
 * filter-pruning baseline (with optional fine-tuning).
 */
import { Module } from '@fracbits/nn';
import {
  type BitAssignment,
  definePruner,
  type LayerInfo,
  type PruneInput,
  type PruneResult,
  type Pruner,
} from '@fracbits/plugin-api';
import type { Shape } from '@fracbits/tensor';
import { carryBits, describeModel } from './describe.js';
import { type FineTuneOptions, type L1SelectOptions, l1Prune } from './l1.js';
import { type RemovalResult, removePrunedChannels } from './remove.js';

export interface PrunerShapeOptions {
  /**
   * One sample's input shape without the batch. Default: the first layer's input shape, which
   * is the model's input when the model starts with a conv / linear layer (every zoo model).
   */
  readonly inputShape?: Shape;
}

function resolveInput(
  who: string,
  input: PruneInput,
  options: PrunerShapeOptions,
): { model: Module; inputShape: Shape } {
  if (!(input.model instanceof Module)) {
    throw new Error(`${who}: expected an @fracbits/nn Module as the model, got ${typeof input.model}`);
  }
  if (input.bits.length !== 0 && input.bits.length !== input.layers.length) {
    throw new Error(
      `${who}: expected one bit assignment per layer (${input.layers.length}), got ${input.bits.length}`,
    );
  }
  const inputShape = options.inputShape ?? input.layers[0]?.inputShape;
  if (!inputShape) throw new Error(`${who}: no inputShape option and no layers to take it from`);
  return { model: input.model, inputShape };
}

/** The PruneResult of a removal: new layer list, bits carried over to the kept channels. */
function pruneResult(
  input: PruneInput,
  model: Module,
  inputShape: Shape,
  removal: RemovalResult,
): PruneResult<Module> {
  const layers: LayerInfo[] = describeModel(model, inputShape);
  const kept = new Map(removal.layers.map((l) => [l.layer, l.keptOutputs] as const));
  const bits: BitAssignment[] =
    input.bits.length === 0 ? [] : carryBits(input.layers, input.bits, layers, kept);
  return { model, layers, bits, removed: removal.removed };
}

/**
 * Removes the 0-bit output channels given by `bits` (kernel-wise entries at 0; a layer-wise 0
 * prunes the layer down to the one channel it must keep) — see removePrunedChannels.
 */
export function zeroBitPruner(options: PrunerShapeOptions = {}): Pruner<Module> {
  return definePruner<Module>({
    specificationVersion: 'v1',
    name: 'zero-bit',
    description: 'removes 0-bit channels (FracBits pruning) with their BatchNorm and consumer inputs',
    async prune(input) {
      const { model, inputShape } = resolveInput('zero-bit pruner', input, options);
      if (input.bits.length === 0)
        throw new Error('zero-bit pruner: expected bit-widths for the layers, got none');
      const spec = input.layers.map((l, i) => ({ name: l.name, w: input.bits[i].w }));
      const removal = await removePrunedChannels(model, spec, { inputShape });
      return pruneResult(input, model, inputShape, removal);
    },
  });
}

export interface L1PrunerOptions extends PrunerShapeOptions, Omit<L1SelectOptions, 'inputShape'> {
  /** Fine-tune the smaller model after the removal (omit to skip). */
  readonly fineTune?: FineTuneOptions;
}

/** L1-norm filter pruning to `ratio` (per layer or global), then optional fine-tuning. Float models. */
export function l1Pruner(options: L1PrunerOptions): Pruner<Module> {
  return definePruner<Module>({
    specificationVersion: 'v1',
    name: 'l1-norm',
    description: `L1-norm filter pruning (${options.scope ?? 'layer'}, ratio ${options.ratio})${options.fineTune ? ' + fine-tuning' : ''}`,
    async prune(input) {
      const { model, inputShape } = resolveInput('l1-norm pruner', input, options);
      const removal = await l1Prune(model, { ...options, inputShape });
      return pruneResult(input, model, inputShape, removal);
    },
  });
}
