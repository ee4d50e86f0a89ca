/**
 * The shape every cost formula shares. With a per-layer activation bit-width, a layer's cost is
 * a coefficient times a sum over its kernels (output channels) of a per-kernel term f(w[o], a)
 * (FRACBITS.md §3: `MACs/C_out · Σ_o λ̂w[o] · λ̂a` for BitOps). A layer-wise assignment is the
 * same sum with all C_out kernels sharing one bit-width, i.e. one entry of multiplicity C_out.
 */
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';

/** Bit-widths after applying the layer's `pinned` overrides. */
export interface EffectiveBits {
  readonly w: readonly number[];
  readonly a: number;
  /** Pinned entries are constants: their gradient is 0. */
  readonly wPinned: boolean;
  readonly aPinned: boolean;
  /** Kernels that share each `w` entry: C_out when layer-wise, 1 when kernel-wise. */
  readonly multiplicity: number;
}

export function effectiveBits(layer: LayerInfo, bits: BitAssignment): EffectiveBits {
  const pw = layer.pinned?.w;
  const pa = layer.pinned?.a;
  return {
    w: pw === undefined ? bits.w : bits.w.map(() => pw),
    a: pa === undefined ? bits.a : pa,
    wPinned: pw !== undefined,
    aPinned: pa !== undefined,
    multiplicity: bits.w.length === 1 ? layer.outChannels : 1,
  };
}

/** A value with its partial derivatives in w and a. */
export interface Term {
  readonly value: number;
  readonly dw: number;
  readonly da: number;
}

/** A layer's cost and its gradient w.r.t. each `w` entry and `a` (pinned ones not yet zeroed). */
export interface LayerCost {
  readonly value: number;
  readonly dw: readonly number[];
  readonly da: number;
}

/** `coefficient · Σ_kernels term(w[o], a)`, with its gradient. */
export function sumOverKernels(
  bits: EffectiveBits,
  coefficient: number,
  term: (w: number, a: number) => Term,
): LayerCost {
  const m = coefficient * bits.multiplicity;
  let value = 0;
  let da = 0;
  const dw = bits.w.map((w) => {
    const t = term(w, bits.a);
    value += t.value;
    da += t.da;
    return m * t.dw;
  });
  return { value: m * value, dw, da: m * da };
}

/** Adds two layer costs entry by entry. */
export function addCosts(x: LayerCost, y: LayerCost): LayerCost {
  return { value: x.value + y.value, dw: x.dw.map((d, i) => d + y.dw[i]), da: x.da + y.da };
}
