/**
 * Which channels are pruned, and what "pruned" means for the model's function: the channel's
 * value is exactly zero. For a float layer that takes a zero weight row and bias; for a quantized
 * layer the 0-bit weights are already zero (FRACBITS.md §5) and only the bias is zeroed. A
 * BatchNorm channel is zeroed (γ = β = 0) when every source feeding it is pruned, since a BN maps
 * a zero input to β − γ·mean/σ. Removal is exact with respect to this masked model.
 */

import { QConv2d, QLinear } from '@fracbits/core';
import type { Module } from '@fracbits/nn';
import type { Shape } from '@fracbits/tensor';
import { keep, mul, noGrad, scope, type Tensor, tensor } from '@fracbits/tensor';
import { analyzeChannels, type ChannelGraph, type LayerNode, type NormNode } from './graph.js';

/** Pruned output channels by layer name (dotted module path, e.g. 'layer1.0.conv1'). */
export type PrunedChannels = ReadonlyMap<string, readonly number[]>;

/**
 * What to prune: channel lists by layer name (a Map or a plain object), or bit-widths per layer
 * (core's `getBits` / a discretisation), whose 0-bit weight entries are the pruned channels (a
 * layer-wise 0 prunes the whole layer).
 */
export type PruneSpec =
  | PrunedChannels
  | Readonly<Record<string, readonly number[]>>
  | readonly { readonly name: string; readonly w: readonly number[] }[];

/** Pruned channels resolved against a channel graph. */
export type ResolvedPruning = Map<LayerNode, Set<number>>;

function baseName(name: string): string {
  return name.replace(/#\d+$/, '');
}

/** The 0-bit channels of each layer (layers without any are left out). */
export function zeroBitChannels(
  bits: readonly { readonly name: string; readonly w: readonly number[] }[],
  channelsOf: (name: string) => number,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const b of bits) {
    const name = baseName(b.name);
    if (out.has(name)) continue;
    const channels =
      b.w.length === 1
        ? b.w[0] === 0
          ? Array.from({ length: channelsOf(name) }, (_, i) => i)
          : []
        : b.w.flatMap((v, i) => (v === 0 ? [i] : []));
    if (channels.length > 0) out.set(name, channels);
  }
  return out;
}

/** Resolves a {@link PruneSpec} against the graph's layers; unknown names and indices throw. */
export function resolvePruning(graph: ChannelGraph, spec: PruneSpec, who: string): ResolvedPruning {
  const channelsOf = (name: string): number => {
    const l = graph.layer(name);
    if (!l) throw unknownLayer(graph, name, who);
    return l.outNodes.length;
  };
  const entries: [string, readonly number[]][] = Array.isArray(spec)
    ? [...zeroBitChannels(spec as readonly { name: string; w: readonly number[] }[], channelsOf)]
    : spec instanceof Map
      ? [...(spec as PrunedChannels)]
      : Object.entries(spec as Readonly<Record<string, readonly number[]>>);
  const out: ResolvedPruning = new Map();
  for (const [rawName, channels] of entries) {
    const layer = graph.layer(baseName(rawName));
    if (!layer) throw unknownLayer(graph, rawName, who);
    const set = out.get(layer) ?? new Set<number>();
    for (const c of channels) {
      if (!(Number.isInteger(c) && c >= 0 && c < layer.outNodes.length)) {
        throw new Error(
          `${who}: layer "${layer.name}" has ${layer.outNodes.length} output channels; got channel ${c}`,
        );
      }
      set.add(c);
    }
    if (set.size > 0) out.set(layer, set);
  }
  return out;
}

function unknownLayer(graph: ChannelGraph, name: string, who: string): Error {
  const inside = graph.opaque.length > 0 ? `; not analysed (opaque modules): ${graph.opaque.join(', ')}` : '';
  return new Error(
    `${who}: no prunable layer "${name}" (layers: ${graph.layers.map((l) => l.name).join(', ') || 'none'}${inside})`,
  );
}

/**
 * Throws unless every pruned channel of a quantized layer has 0 weight bits (only those are zero
 * in the quantized forward pass) and the layer quantizes at all.
 */
export async function checkZeroBits(pruning: ResolvedPruning, who: string): Promise<void> {
  for (const [layer, channels] of pruning) {
    const m = layer.module;
    if (!(m instanceof QConv2d || m instanceof QLinear)) continue;
    if (m.mode === 'float') {
      throw new Error(
        `${who}: quantized layer "${layer.name}" is in 'float' mode, where 0-bit channels are not zero; switch it to 'fixed' first`,
      );
    }
    const bits = await m.bitsW.read();
    for (const c of channels) {
      const b = bits.length === 1 ? bits[0] : bits[c];
      if (b !== 0) {
        throw new Error(
          `${who}: channel ${c} of quantized layer "${layer.name}" has ${b} weight bits; only 0-bit channels can be pruned`,
        );
      }
    }
  }
}

/** Whether a source node is pruned (zero-valued) under `pruning`. */
export function isMaskedSource(graph: ChannelGraph, pruning: ResolvedPruning, node: number): boolean {
  const s = graph.sources.get(node);
  if (!s) return false;
  if (s.kind === 'zero') return true;
  if (s.kind === 'fixed') return false;
  return pruning.get(s.layer)?.has(s.channel) ?? false;
}

/** Whether BatchNorm channel `c` is zeroed by the mask: fed by pruned sources only, at least one. */
export function isZeroedNorm(
  graph: ChannelGraph,
  pruning: ResolvedPruning,
  norm: NormNode,
  c: number,
): boolean {
  const up = [...norm.upstream[c]];
  const layerSources = up.filter((n) => graph.sources.get(n)?.kind === 'layer');
  return layerSources.length > 0 && up.every((n) => isMaskedSource(graph, pruning, n));
}

/** Zeroes the pruned channels' parameters; `apply` again after every optimizer step to keep them zero. */
export interface ChannelMasker {
  apply(): void;
  dispose(): void;
  /** Number of parameter tensors it masks. */
  readonly tensors: number;
}

function rowMask(t: Tensor, rows: ReadonlySet<number>): Tensor {
  const per = t.size / t.shape[0];
  const data = new Float32Array(t.size).fill(1);
  for (const r of rows) data.fill(0, r * per, (r + 1) * per);
  return keep(tensor(data, t.shape, { backend: t.backend }));
}

/** Builds the masks of {@link ResolvedPruning} (no readback: safe inside a synchronous callback). */
export function createMasker(graph: ChannelGraph, pruning: ResolvedPruning): ChannelMasker {
  const pairs: [Tensor, Tensor][] = [];
  for (const [layer, channels] of pruning) {
    const m = layer.module;
    // A quantized layer's 0-bit weights are zero already; its latent weights set the scale.
    if (!(m instanceof QConv2d || m instanceof QLinear)) pairs.push([m.weight, rowMask(m.weight, channels)]);
    if (m.bias) pairs.push([m.bias, rowMask(m.bias, channels)]);
  }
  for (const norm of graph.norms) {
    const zeroed = new Set(norm.nodes.flatMap((_, c) => (isZeroedNorm(graph, pruning, norm, c) ? [c] : [])));
    if (zeroed.size === 0) continue;
    for (const t of [norm.module.weight, norm.module.bias]) pairs.push([t, rowMask(t, zeroed)]);
  }
  return {
    tensors: pairs.length,
    apply() {
      noGrad(() =>
        scope(() => {
          for (const [t, m] of pairs) t.assign(mul(t, m));
        }),
      );
    },
    dispose() {
      for (const [, m] of pairs) m.dispose();
      pairs.length = 0;
    },
  };
}

/**
 * Zeroes the pruned channels of `model` in place (the masked model that removal reproduces) and
 * returns the resolved channels per layer. Quantized layers accept 0-bit channels only.
 */
export async function maskChannels(
  model: Module,
  pruned: PruneSpec,
  options: { readonly inputShape: Shape },
): Promise<Map<string, number[]>> {
  const graph = analyzeChannels(model, options.inputShape);
  const pruning = resolvePruning(graph, pruned, 'maskChannels');
  await checkZeroBits(pruning, 'maskChannels');
  const masker = createMasker(graph, pruning);
  masker.apply();
  masker.dispose();
  return new Map([...pruning].map(([l, c]) => [l.name, [...c].sort((a, b) => a - b)]));
}
