/** The cost model interface: a hardware cost that is differentiable in fractional bit-widths. */
import type { BitAssignment, LayerInfo } from './layer.js';
import type { Versioned } from './version.js';

/** The result of {@link CostModel.evaluate}, in the model's {@link CostModel.unit}. */
export interface CostEvaluation {
  /** Total cost of the network. */
  readonly total: number;
  /** Cost of each layer, in layer order; sums to `total`. */
  readonly perLayer: number[];
  /**
   * Exact analytic gradient of `total`: `w[l][i] = ∂total/∂bits[l].w[i]` (same shape as the
   * assignment) and `a[l] = ∂total/∂bits[l].a`. Pinned bit-widths get 0.
   */
  readonly grad: { readonly w: number[][]; readonly a: number[] };
}

/**
 * A hardware cost model (FRACBITS.md §3). Costs are computed from the clamped fractional
 * bit-widths the caller passes (the model clamps nothing) and must be defined for every value in
 * [0, 8], 0 included; a layer's `pinned` bit-widths replace the assigned ones.
 *
 * @example A model counting weight bits in kbit:
 * ```ts
 * const weightBits = defineCostModel({
 *   specificationVersion: 'v1', name: 'weight-kbits', description: 'Σ params·bits', unit: 'kbit',
 *   evaluate(layers, bits) {
 *     const perLayer = layers.map((l, i) =>
 *       (l.params / bits[i].w.length) * bits[i].w.reduce((s, b) => s + b, 0) / 1e3);
 *     return {
 *       total: perLayer.reduce((s, c) => s + c, 0),
 *       perLayer,
 *       grad: { w: layers.map((l, i) => bits[i].w.map(() => l.params / bits[i].w.length / 1e3)),
 *               a: layers.map(() => 0) },
 *     };
 *   },
 * });
 * ```
 * (This toy ignores `pinned`; the built-in models in `@fracbits/cost` honour it.)
 */
export interface CostModel extends Versioned {
  /** One line for listings and reports. */
  readonly description: string;
  /** Unit of every number `evaluate` returns, e.g. `'GBitOps'`, `'MB'`, `'ms'`. */
  readonly unit: string;
  /** Cost and gradient for one bit assignment per layer. */
  evaluate(layers: readonly LayerInfo[], bits: readonly BitAssignment[]): CostEvaluation;
  /**
   * Parses a budget written with a unit, e.g. `'5.7G'`, `'1.8MB'`, `'2ms'`, into a number in
   * {@link CostModel.unit}; a bare number is already in that unit. Throws a clear error on a unit
   * the model does not understand.
   */
  parseBudget?(text: string): number;
}

/** Identity helper that type-checks a cost model literal. */
export function defineCostModel<T extends CostModel>(model: T): T {
  return model;
}
