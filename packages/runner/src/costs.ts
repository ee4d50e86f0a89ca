/**
 * The per-layer cost table of `fracbits cost`, the report and the final summary: MACs, params,
 * bits, BitOps (FRACBITS.md §3) and weight size per layer, with totals.
 */
import { bitopsModel, sizeModel, uniformBits } from '@fracbits/cost';
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';

export interface LayerCostRow {
  readonly name: string;
  readonly macs: number;
  readonly params: number;
  /** One number (layer-wise, pinned) or one per output channel (kernel-wise). */
  readonly wBits: number | number[];
  readonly aBits: number;
  /** GBitOps. */
  readonly bitops: number;
  /** Weight bits + 32-bit biases. */
  readonly sizeBits: number;
  /** A further cost model's per-layer value (in its unit), when one was asked for. */
  readonly cost?: number;
}

export interface CostTable {
  /** GBitOps. */
  readonly bitops: number;
  readonly sizeMB: number;
  /** G (10⁹) multiply-accumulates. */
  readonly macs: number;
  /** M (10⁶) weights. */
  readonly params: number;
  readonly layers: LayerCostRow[];
  readonly extra?: { readonly model: string; readonly unit: string; readonly total: number };
}

/** The bits the cost models count (pinned values replace the assigned ones). */
function effective(info: LayerInfo, bits: BitAssignment): { w: number | number[]; a: number } {
  const w = info.pinned?.w !== undefined ? [info.pinned.w] : [...bits.w];
  return { w: w.length === 1 ? w[0] : w, a: info.pinned?.a ?? bits.a };
}

export function costTable(
  infos: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  extra?: CostModel,
): CostTable {
  const bitops = bitopsModel({ unit: 'GBitOps' }).evaluate(infos, bits);
  const size = sizeModel({ unit: 'bit' }).evaluate(infos, bits);
  const other = extra?.evaluate(infos, bits);
  const layers = infos.map((info, i) => ({
    name: info.name,
    macs: info.macs,
    params: info.params,
    ...(() => {
      const e = effective(info, bits[i]);
      return { wBits: e.w, aBits: e.a };
    })(),
    bitops: bitops.perLayer[i],
    sizeBits: size.perLayer[i],
    ...(other ? { cost: other.perLayer[i] } : {}),
  }));
  return {
    bitops: bitops.total,
    sizeMB: size.total / 8e6,
    macs: infos.reduce((s, l) => s + l.macs, 0) / 1e9,
    params: infos.reduce((s, l) => s + l.params, 0) / 1e6,
    layers,
    ...(extra && other ? { extra: { model: extra.name, unit: extra.unit, total: other.total } } : {}),
  };
}

/**
 * The uniform bit-width b ∈ [lo, hi] whose cost equals `target` (bisection; costs grow with bits).
 * Used to start λ at b + 0.5 for absolute budgets.
 */
export function equivalentUniformBits(
  model: CostModel,
  infos: readonly LayerInfo[],
  target: number,
  [lo, hi]: readonly [number, number],
): number {
  const cost = (b: number) => model.evaluate(infos, uniformBits(infos, b)).total;
  if (cost(lo) >= target) return lo;
  if (cost(hi) <= target) return hi;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 40; i++) {
    const m = (a + b) / 2;
    if (cost(m) < target) a = m;
    else b = m;
  }
  return (a + b) / 2;
}
