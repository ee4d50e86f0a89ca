/**
 * Decides which channel sets of a {@link ChannelGraph} are removed for a given pruning.
 *
 * A set goes when every source in it is pruned (a residual channel only when all branches agree,
 * a depthwise channel only with its producer), nothing in it is blocked, and every BatchNorm
 * channel in it is zeroed by the mask. Then structural rules may keep some sets (zeroed) after
 * all, until a fixed point: every layer keeps one channel; an option-A shortcut must still pad as
 * many zeros before its input as after (or one fewer); and a quantized layer must keep its weight
 * scale max|tanh W| — see {@link ScaleInfo}.
 */
import type { ChannelGraph, LayerNode } from './graph.js';
import { isMaskedSource, isZeroedNorm, type ResolvedPruning } from './mask.js';

/**
 * Host copy of a quantized layer's latent weights and the highest quantizer level each output
 * channel uses (ceil of its clamped λ̂w). The DoReFa quantizer normalises by max|tanh W| over the
 * whole tensor, so removing the row or column that holds the maximum would rescale every kept
 * weight. Then one kept weight that already quantizes to ±1 is moved to ±max|W|: its quantized
 * value is unchanged and the scale is preserved exactly. Without such a weight the channel stays.
 */
export interface ScaleInfo {
  readonly weights: Float32Array;
  readonly hiBits: readonly number[];
}

/** A latent weight changed to preserve a quantized layer's scale (flat index in the old layer). */
export interface WeightEdit {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

export interface RemovalPlan {
  /** Whether the channel (set) of this graph node is removed. */
  removed(node: number): boolean;
  /** Why the set of `node` stays, when it holds pruned channels. */
  reason(node: number): string | undefined;
  readonly edits: Map<LayerNode, WeightEdit>;
}

/** Rows (output channels) and columns (input channels / features) of a layer's weight. */
function weightLayout(layer: LayerNode): { cols: number; inner: number } {
  const perRow = layer.module.weight.size / layer.outNodes.length;
  if (layer.kind === 'linear') return { cols: layer.inNodes.length, inner: 1 };
  // Conv [O, I/g, kh, kw]: a depthwise conv has one column per row, tied to the row.
  const cols = layer.depthwise ? 1 : layer.inNodes.length;
  return { cols, inner: perRow / cols };
}

/** Whether a latent weight quantizes to ±1 (or to 0 at 0 bits) at every bit-width up to `hi`. */
function atExtremeLevel(w: number, scale: number, hi: number): boolean {
  if (hi <= 0) return true;
  const levels = 2 ** hi - 1;
  const x = (levels * (Math.tanh(w) / Math.tanh(scale) + 1)) / 2;
  // A margin far above float32 rounding of the engine's tanh and division.
  return x >= levels - 0.5 + 1e-3 || x <= 0.5 - 1e-3;
}

class Planner {
  private readonly kept = new Map<number, string>();
  readonly edits = new Map<LayerNode, WeightEdit>();

  constructor(
    private readonly graph: ChannelGraph,
    private readonly pruning: ResolvedPruning,
    private readonly scales: ReadonlyMap<LayerNode, ScaleInfo>,
  ) {}

  private root(node: number): number {
    return this.graph.sets.find(node);
  }

  removed = (node: number): boolean => !this.kept.has(this.root(node));

  reason = (node: number): string | undefined => this.kept.get(this.root(node));

  /** Keeps a removed set; returns whether anything changed. */
  private keep(node: number, reason: string): boolean {
    const r = this.root(node);
    if (this.kept.has(r)) return false;
    this.kept.set(r, reason);
    return true;
  }

  /** The first decision: what the mask and the graph allow. */
  initial(): void {
    const g = this.graph;
    const normChannels = new Map<number, [ChannelGraph['norms'][number], number][]>();
    for (const norm of g.norms) {
      norm.nodes.forEach((n, c) => {
        const r = this.root(n);
        normChannels.set(r, [...(normChannels.get(r) ?? []), [norm, c]]);
      });
    }
    for (const [root, members] of g.sets.groups()) {
      const blocked = members.find((n) => g.blocked.has(n));
      if (blocked !== undefined) {
        this.kept.set(root, g.blocked.get(blocked) as string);
        continue;
      }
      const live = members.filter((n) => g.sources.has(n) && !isMaskedSource(g, this.pruning, n));
      if (live.length > 0) {
        const names = live.slice(0, 3).map((n) => g.describe(n));
        const more = live.length > 3 ? ` and ${live.length - 3} more` : '';
        this.kept.set(root, `shares its channel with unpruned ${names.join(', ')}${more}`);
        continue;
      }
      const norm = (normChannels.get(root) ?? []).find(([nm, c]) => !isZeroedNorm(g, this.pruning, nm, c));
      if (norm) this.kept.set(root, `${norm[0].name}[${norm[1]}] is fed by no pruned channel`);
    }
  }

  /** One pass of the structural rules; returns whether any set was kept. */
  constrain(): boolean {
    let changed = false;
    for (const layer of this.graph.layers) {
      if (layer.outNodes.every(this.removed))
        changed = this.keep(layer.outNodes[0], `${layer.name} keeps at least one output channel`) || changed;
      if (layer.inNodes.every(this.removed))
        changed = this.keep(layer.inNodes[0], `${layer.name} keeps at least one input`) || changed;
    }
    for (const norm of this.graph.norms) {
      if (norm.nodes.every(this.removed))
        changed = this.keep(norm.nodes[0], `${norm.name} keeps at least one channel`) || changed;
    }
    for (const pad of this.graph.pads) changed = this.balance(pad) || changed;
    for (const [layer, info] of this.scales) changed = this.preserveScale(layer, info) || changed;
    return changed;
  }

  /** ChannelPadShortcut pads floor(extra/2) zeros before its input: keep zeros to stay that way. */
  private balance(pad: ChannelGraph['pads'][number]): boolean {
    const why = `${pad.name} pads floor(extra/2) zero channels before its input`;
    if (pad.middle.every(this.removed))
      return this.keep(pad.middle[0], `${pad.name} keeps at least one input`);
    const before = pad.before.filter((n) => !this.removed(n)).length;
    const after = pad.after.filter((n) => !this.removed(n)).length;
    if (before > after) {
      const n = pad.after.find(this.removed);
      return n !== undefined && this.keep(n, why);
    }
    if (after > before + 1) {
      const n = pad.before.find(this.removed);
      return n !== undefined && this.keep(n, why);
    }
    return false;
  }

  private preserveScale(layer: LayerNode, info: ScaleInfo): boolean {
    this.edits.delete(layer);
    const { cols, inner } = weightLayout(layer);
    const rowGone = layer.outNodes.map(this.removed);
    const colGone = layer.depthwise ? [false] : layer.inNodes.map(this.removed);
    if (!rowGone.some(Boolean) && !colGone.some(Boolean)) return false;
    const w = info.weights;
    let maxAll = 0;
    let maxAt = -1;
    let maxKept = 0;
    for (let i = 0; i < w.length; i++) {
      const a = Math.abs(w[i]);
      if (a > maxAll) [maxAll, maxAt] = [a, i];
      const row = Math.floor(i / (cols * inner));
      const col = Math.floor(i / inner) % cols;
      if (!rowGone[row] && !colGone[col] && a > maxKept) maxKept = a;
    }
    if (maxKept >= maxAll) return false;
    let best = -1;
    for (let i = 0; i < w.length; i++) {
      const row = Math.floor(i / (cols * inner));
      const col = Math.floor(i / inner) % cols;
      if (rowGone[row] || colGone[col]) continue;
      if (!atExtremeLevel(w[i], maxAll, info.hiBits[row])) continue;
      if (best < 0 || Math.abs(w[i]) > Math.abs(w[best])) best = i;
    }
    if (best >= 0) {
      this.edits.set(layer, { index: best, from: w[best], to: w[best] < 0 ? -maxAll : maxAll });
      return false;
    }
    const why = `${layer.name} would lose its weight scale max|tanh W| and no kept weight quantizes to ±1`;
    const row = Math.floor(maxAt / (cols * inner));
    if (rowGone[row]) return this.keep(layer.outNodes[row], why);
    return this.keep(layer.inNodes[Math.floor(maxAt / inner) % cols], why);
  }
}

/**
 * Plans the removal. `scales` holds the host weights of the quantized layers that quantize
 * (mode 'search' or 'fixed').
 */
export function planRemoval(
  graph: ChannelGraph,
  pruning: ResolvedPruning,
  scales: ReadonlyMap<LayerNode, ScaleInfo>,
): RemovalPlan {
  const p = new Planner(graph, pruning, scales);
  p.initial();
  // Each pass keeps at least one more set or stops, so the number of sets bounds the loop.
  let passes = 0;
  while (p.constrain() && passes++ <= graph.sets.count) {
    // keep going until a fixed point
  }
  return { removed: p.removed, reason: p.reason, edits: p.edits };
}
