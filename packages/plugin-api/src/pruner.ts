/** The pruner interface: removes channels physically (e.g. the 0-bit channels of FRACBITS.md §5). */
import type { BitAssignment, LayerInfo } from './layer.js';
import type { Versioned } from './version.js';

export interface PruneInput<Model = unknown> {
  readonly model: Model;
  readonly layers: readonly LayerInfo[];
  readonly bits: readonly BitAssignment[];
}

export interface PruneResult<Model = unknown> {
  /** The pruned model (smaller tensors; the same function as before on the kept channels). */
  readonly model: Model;
  /** Layer list after pruning (channel counts, MACs and params updated). */
  readonly layers: LayerInfo[];
  /** Bits of the kept channels, aligned with `layers`. */
  readonly bits: BitAssignment[];
  /** Output channels removed from each layer (indices in the unpruned layer). */
  readonly removed: ReadonlyArray<{ readonly layer: string; readonly channels: readonly number[] }>;
}

/**
 * @example
 * ```ts
 * const pruner = definePruner({
 *   specificationVersion: 'v1', name: 'zero-bit', description: 'removes 0-bit channels',
 *   prune({ model, layers, bits }) { … return { model, layers, bits, removed }; },
 * });
 * ```
 */
export interface Pruner<Model = unknown> extends Versioned {
  readonly description: string;
  prune(input: PruneInput<Model>): PruneResult<Model> | Promise<PruneResult<Model>>;
}

/** Identity helper that type-checks a pruner literal. */
export function definePruner<Model = unknown>(pruner: Pruner<Model>): Pruner<Model> {
  return pruner;
}
