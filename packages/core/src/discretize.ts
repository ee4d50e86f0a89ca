/**
 * Discretisation at the end of the search (FRACBITS.md §4): one global offset o found by
 * bisection so that the integer model `round(λ̂ + o)` costs within ±1 % of the target, then our
 * refinement — single-layer (kernel-wise: single-channel) ±1-bit moves — when the offset alone
 * cannot reach the band. A pure function of (layers, fractional bits, cost model, target).
 */
import { roundHalfEven } from '@fracbits/kernels';
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';
import { checkBitsRange } from './quantizers.js';

export interface DiscretizeOptions {
  readonly layers: readonly LayerInfo[];
  /** Fractional bit-widths λ̂ (clamped) per layer, as searched. */
  readonly bits: readonly BitAssignment[];
  readonly costModel: CostModel;
  /** Budget T in `costModel.unit`. */
  readonly target: number;
  /** [bmin, bmax]: rounded bits are clamped into it, moves stay inside it. */
  readonly bitsRange: readonly [number, number];
  /** The range of input-activation bits when it differs from `bitsRange` (default: the same). */
  readonly activationBitsRange?: readonly [number, number];
  /** Bisection trials, the first at o = 0 (default 10). */
  readonly maxTrials?: number;
  /** Half-width of the band around T (default 0.01: ±1 %). */
  readonly tolerance?: number;
  /** Run the single-bit refinement after the bisection (default true). */
  readonly refine?: boolean;
}

export interface DiscretizeTrial {
  readonly offset: number;
  readonly cost: number;
  readonly ratio: number;
}

export interface DiscretizeMove {
  /** LayerInfo name. */
  readonly layer: string;
  /** Weight (channel) or input-activation bit-width. */
  readonly kind: 'w' | 'a';
  /** Output channel of a kernel-wise weight move; 0 for layer-wise. */
  readonly channel: number;
  readonly from: number;
  readonly to: number;
  /** Cost after the move. */
  readonly cost: number;
}

export interface DiscretizeResult {
  /** Integer bits per layer (pinned entries at their pinned value). */
  readonly bits: BitAssignment[];
  /** The offset kept (the best trial, not the last midpoint). */
  readonly offset: number;
  readonly trials: DiscretizeTrial[];
  readonly moves: DiscretizeMove[];
  /** Integer cost and cost / T. */
  readonly cost: number;
  readonly ratio: number;
  /** Whether the final cost lies in [(1 − tol)·T, (1 + tol)·T]. */
  readonly inBand: boolean;
  /** Cost of the fractional bits (for reports). */
  readonly fractionalCost: number;
}

/** One learnable bit-width: its place in the assignment and its fractional value λ̂. */
interface Entry {
  readonly layer: number;
  readonly kind: 'w' | 'a';
  readonly channel: number;
  readonly value: number;
}

function learnableEntries(layers: readonly LayerInfo[], bits: readonly BitAssignment[]): Entry[] {
  const out: Entry[] = [];
  layers.forEach((layer, i) => {
    if (layer.pinned?.w === undefined) {
      bits[i].w.forEach((value, channel) => {
        out.push({ layer: i, kind: 'w', channel, value });
      });
    }
    if (layer.pinned?.a === undefined) out.push({ layer: i, kind: 'a', channel: 0, value: bits[i].a });
  });
  return out;
}

/**
 * The integer bits `clamp(round(λ̂ + o), bmin, bmax)` of every learnable (non-pinned) bit-width,
 * rounding half to even as torch.round (and with λ̂ + o in float32, as the reference); pinned
 * entries take their pinned value.
 */
export function roundBits(
  layers: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  offset: number,
  bitsRange: readonly [number, number],
  activationBitsRange: readonly [number, number] = bitsRange,
): BitAssignment[] {
  const round = (v: number, [bmin, bmax]: readonly [number, number]) =>
    Math.min(Math.max(roundHalfEven(Math.fround(v + offset)), bmin), bmax);
  return layers.map((layer, i) => ({
    w: bits[i].w.map((v) => layer.pinned?.w ?? round(v, bitsRange)),
    a: layer.pinned?.a ?? round(bits[i].a, activationBitsRange),
  }));
}

function checkInputs(o: DiscretizeOptions): void {
  const who = 'discretize';
  if (o.layers.length !== o.bits.length) {
    throw new Error(
      `${who}: expected one bit assignment per layer, got ${o.bits.length} for ${o.layers.length} layers`,
    );
  }
  if (!(Number.isFinite(o.target) && o.target > 0))
    throw new Error(`${who}: expected a positive target, got ${o.target}`);
  checkBitsRange(who, o.bitsRange[0], o.bitsRange[1]);
  if (o.activationBitsRange) checkBitsRange(who, o.activationBitsRange[0], o.activationBitsRange[1]);
  const tol = o.tolerance ?? 0.01;
  if (!(tol >= 0 && tol < 1)) throw new Error(`${who}: expected a tolerance in [0, 1), got ${tol}`);
  const trials = o.maxTrials ?? 10;
  if (!(Number.isInteger(trials) && trials >= 1))
    throw new Error(`${who}: expected maxTrials ≥ 1, got ${trials}`);
}

/** FRACBITS.md §4 discretisation: bisection of the global offset, then single-bit refinement. */
export function discretize(options: DiscretizeOptions): DiscretizeResult {
  checkInputs(options);
  const { layers, bits, costModel, target: T, bitsRange } = options;
  const aRange = options.activationBitsRange ?? bitsRange;
  const tol = options.tolerance ?? 0.01;
  const low = (1 - tol) * T;
  const high = (1 + tol) * T;
  const costOf = (b: readonly BitAssignment[]) => costModel.evaluate(layers, b).total;
  const inBand = (c: number) => c >= low && c <= high;

  // Bisection: o ∈ [−1, 0] from o = 0, or [0, 1] when rounding at 0 already lands below the band.
  const trials: (DiscretizeTrial & { bits: BitAssignment[] })[] = [];
  const trial = (offset: number) => {
    const b = roundBits(layers, bits, offset, bitsRange, aRange);
    const cost = costOf(b);
    const t = { offset, cost, ratio: cost / T, bits: b };
    trials.push(t);
    return t;
  };
  let t = trial(0);
  let [lo, hi] = t.cost < low ? [0, 1] : [-1, 0];
  while (!inBand(t.cost) && trials.length < (options.maxTrials ?? 10)) {
    if (t.cost > high) hi = t.offset;
    else lo = t.offset;
    t = trial((lo + hi) / 2);
  }
  // Keep the best offset seen: closest to T without exceeding the ceiling (else the cheapest).
  const underCeiling = trials.filter((x) => x.cost <= high);
  const best =
    underCeiling.length > 0
      ? underCeiling.reduce((a, b) => (Math.abs(b.cost - T) < Math.abs(a.cost - T) ? b : a))
      : trials.reduce((a, b) => (b.cost < a.cost ? b : a));

  const refined =
    (options.refine ?? true) && !inBand(best.cost)
      ? refine(layers, bits, best.bits, best.offset, costOf, T, low, high, bitsRange, aRange)
      : { bits: best.bits, cost: best.cost, moves: [] };
  return {
    bits: refined.bits,
    offset: best.offset,
    trials: trials.map(({ offset, cost, ratio }) => ({ offset, cost, ratio })),
    moves: refined.moves,
    cost: refined.cost,
    ratio: refined.cost / T,
    inBand: inBand(refined.cost),
    fractionalCost: costOf(bits),
  };
}

/**
 * Greedy single-bit moves toward [(1 − tol)·T, T] (FRACBITS.md §4 refinement). A move is one learnable
 * bit-width ±1 inside the range; it qualifies when it shrinks the distance from the cost to
 * [(1 − tol)·T, T] without leaving the ceiling (1 + tol)·T once under it; above the ceiling any
 * cheaper move qualifies as a fallback. Among qualifying moves the one whose new bits are nearest
 * to the fractional value λ̂ + o is taken. Stops in the ±tol band or when nothing qualifies; then,
 * if still outside the band, ends at the highest cost ≤ T seen (with the moves that led there).
 */
function refine(
  layers: readonly LayerInfo[],
  fractional: readonly BitAssignment[],
  start: readonly BitAssignment[],
  offset: number,
  costOf: (b: readonly BitAssignment[]) => number,
  T: number,
  low: number,
  high: number,
  wRange: readonly [number, number],
  aRange: readonly [number, number],
): { bits: BitAssignment[]; cost: number; moves: DiscretizeMove[] } {
  const rangeOf = (e: Entry) => (e.kind === 'a' ? aRange : wRange);
  const entries = learnableEntries(layers, fractional);
  const current = start.map((b) => ({ w: [...b.w], a: b.a }));
  const get = (e: Entry) => (e.kind === 'w' ? current[e.layer].w[e.channel] : current[e.layer].a);
  const set = (e: Entry, v: number) => {
    if (e.kind === 'w') current[e.layer].w[e.channel] = v;
    else current[e.layer].a = v;
  };
  const distance = (c: number) => (c < low ? low - c : c > T ? c - T : 0);
  const snapshot = () => current.map((b) => ({ w: [...b.w], a: b.a }));

  let cost = costOf(current);
  const moves: DiscretizeMove[] = [];
  let bestUnderT = cost <= T ? { bits: snapshot(), cost, moves: 0 } : null;
  const span = Math.max(wRange[1] - wRange[0], aRange[1] - aRange[0]);
  const maxMoves = entries.length * (span + 1) * 2 + 1;
  while (!(cost >= low && cost <= high) && moves.length < maxMoves) {
    const candidates = entries
      .flatMap((e) =>
        [get(e) - 1, get(e) + 1]
          .filter((v) => v >= rangeOf(e)[0] && v <= rangeOf(e)[1])
          .map((to) => ({ e, to })),
      )
      .sort((x, y) => Math.abs(x.e.value + offset - x.to) - Math.abs(y.e.value + offset - y.to));
    let chosen: { e: Entry; to: number; cost: number } | null = null;
    let fallback: { e: Entry; to: number; cost: number } | null = null;
    for (const { e, to } of candidates) {
      const from = get(e);
      set(e, to);
      const c = costOf(current);
      set(e, from);
      const toward = distance(c) < distance(cost) && (cost > high || c <= high);
      if (toward) {
        chosen = { e, to, cost: c };
        break;
      }
      if (cost > high && c < cost && !fallback) fallback = { e, to, cost: c };
    }
    const move = chosen ?? fallback;
    if (!move) break;
    moves.push({
      layer: layers[move.e.layer].name,
      kind: move.e.kind,
      channel: move.e.channel,
      from: get(move.e),
      to: move.to,
      cost: move.cost,
    });
    set(move.e, move.to);
    cost = move.cost;
    if (cost <= T && (!bestUnderT || cost > bestUnderT.cost))
      bestUnderT = { bits: snapshot(), cost, moves: moves.length };
  }
  if (!(cost >= low && cost <= high) && bestUnderT) {
    return { bits: bestUnderT.bits, cost: bestUnderT.cost, moves: moves.slice(0, bestUnderT.moves) };
  }
  return { bits: current, cost, moves };
}
