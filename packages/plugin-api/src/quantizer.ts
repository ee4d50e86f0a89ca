/**
 * The quantizer interface: wraps a float model's conv / linear layers in quantizers whose
 * bit-widths can be searched (fractional), fixed (integer) or bypassed (float). Models are opaque
 * (`unknown` by default) because this package depends on no engine.
 */
import type { BitAssignment, Granularity, LayerInfo } from './layer.js';
import type { Versioned } from './version.js';

/** How the wrapped layers behave. */
export type QuantizeMode = 'fractional' | 'integer' | 'float';

export interface QuantizeOptions {
  readonly granularity: Granularity;
  /** Budget bit-width b; fractional bit-widths start at b + 0.5 (FRACBITS.md §1). */
  readonly targetBits: number;
  /** Clamp range [bmin, bmax] of λ̂ (bmin = 0 enables pruning through 0 bits). */
  readonly bitsRange: readonly [number, number];
  readonly mode: QuantizeMode;
  /** Quantizer-specific options. */
  readonly [option: string]: unknown;
}

export interface QuantizedModel<Model = unknown> {
  /** The model with quantized layers (may be the same object, modified in place). */
  readonly model: Model;
  /** The wrapped layers, in the order `getBits` reports them; first / last carry `pinned`. */
  readonly layers: LayerInfo[];
}

/**
 * @example
 * ```ts
 * const q = defineQuantizer({
 *   specificationVersion: 'v1', name: 'my-quantizer', description: '…', granularities: ['layer'],
 *   quantize(model, options) { … return { model, layers }; },
 *   getBits(model) { … },
 *   setBits(model, bits) { … },
 * });
 * ```
 */
export interface Quantizer<Model = unknown> extends Versioned {
  readonly description: string;
  /** Granularities this quantizer supports. */
  readonly granularities: readonly Granularity[];
  quantize(model: Model, options: QuantizeOptions): QuantizedModel<Model> | Promise<QuantizedModel<Model>>;
  /** Current (clamped fractional, or integer) bit-widths of every wrapped layer. */
  getBits(model: Model): BitAssignment[];
  /** Fixes the bit-widths (e.g. the discretised integers) of every wrapped layer. */
  setBits(model: Model, bits: readonly BitAssignment[]): void;
}

/** Identity helper that type-checks a quantizer literal. */
export function defineQuantizer<Model = unknown>(quantizer: Quantizer<Model>): Quantizer<Model> {
  return quantizer;
}
