/**
 * Physical channel removal: `removePrunedChannels(model, pruned, { inputShape })` zeroes the
 * pruned channels (the masked model, see mask.ts), removes every channel set the plan allows
 * (plan.ts) and swaps smaller layers into the model in place (rebuild.ts).
 */
import { QConv2d, QLinear } from '@fracbits/core';
import { Conv2d, Linear, type Module, nameTensors } from '@fracbits/nn';
import type { Shape } from '@fracbits/tensor';
import { analyzeChannels, type ChannelGraph, type LayerNode } from './graph.js';
import { checkZeroBits, createMasker, type PruneSpec, type ResolvedPruning, resolvePruning } from './mask.js';
import { planRemoval, type RemovalPlan, type ScaleInfo } from './plan.js';
import { keptIndices, rebuildLayer, rebuildNorm, rebuildPad } from './rebuild.js';

export interface RemoveOptions {
  /** One sample's input shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
}

/** Output channels removed from a layer (indices in the unpruned layer). */
export interface RemovedChannels {
  readonly layer: string;
  readonly channels: number[];
}

/** Pruned channels that stay in the model, zeroed, and why. */
export interface KeptChannels {
  readonly layer: string;
  readonly channels: number[];
  readonly reason: string;
}

/** A conv / linear layer's channel counts before → after. */
export interface LayerChange {
  readonly layer: string;
  readonly inChannels: readonly [number, number];
  readonly outChannels: readonly [number, number];
  /** Indices (in the unpruned layer) of the output channels that remain. */
  readonly keptOutputs: number[];
}

/** A latent weight of a quantized layer moved to keep its scale max|tanh W| (see plan.ts). */
export interface ScaleEdit {
  readonly layer: string;
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

export interface RemovalResult<M extends Module = Module> {
  /** The same model object, its layers replaced by smaller ones. */
  readonly model: M;
  readonly removed: RemovedChannels[];
  readonly kept: KeptChannels[];
  /** Every conv / linear layer the analysis reached, changed or not. */
  readonly layers: LayerChange[];
  readonly edits: ScaleEdit[];
  /** Modules the analysis could not see into (channels through them were kept). */
  readonly opaque: string[];
}

/** Host weights and per-channel top bit-widths of the quantized layers that quantize. */
async function readScales(graph: ChannelGraph): Promise<Map<LayerNode, ScaleInfo>> {
  const out = new Map<LayerNode, ScaleInfo>();
  for (const layer of graph.layers) {
    const m = layer.module;
    if (!(m instanceof QConv2d || m instanceof QLinear) || m.mode === 'float') continue;
    const bits = await m.bitsW.read();
    out.set(layer, {
      weights: Float32Array.from(await m.weight.data()),
      hiBits: layer.outNodes.map((_, o) => Math.ceil(bits.length === 1 ? bits[0] : bits[o])),
    });
  }
  return out;
}

function report(graph: ChannelGraph, pruning: ResolvedPruning, plan: RemovalPlan) {
  const removed: RemovedChannels[] = [];
  const kept: KeptChannels[] = [];
  const layers: LayerChange[] = [];
  for (const layer of graph.layers) {
    const outs = keptIndices(layer.outNodes, plan);
    const ins = layer.depthwise ? outs : keptIndices(layer.inNodes, plan);
    layers.push({
      layer: layer.name,
      inChannels: [layer.inNodes.length, ins.length],
      outChannels: [layer.outNodes.length, outs.length],
      keptOutputs: outs,
    });
    const gone = layer.outNodes.flatMap((n, o) => (plan.removed(n) ? [o] : []));
    if (gone.length > 0) removed.push({ layer: layer.name, channels: gone });
    const byReason = new Map<string, number[]>();
    for (const c of [...(pruning.get(layer) ?? [])].sort((a, b) => a - b)) {
      const reason = plan.reason(layer.outNodes[c]);
      if (reason !== undefined) byReason.set(reason, [...(byReason.get(reason) ?? []), c]);
    }
    for (const [reason, channels] of byReason) kept.push({ layer: layer.name, channels, reason });
  }
  const edits = [...plan.edits].map(([layer, e]) => ({ layer: layer.name, ...e }));
  return { removed, kept, layers, edits };
}

/**
 * Removes pruned channels physically and returns the smaller model (the same object, changed in
 * place) with a report. `pruned` names the pruned output channels per layer, or gives bit-widths
 * whose 0-bit weight entries are the pruned channels (quantized layers: only 0-bit channels can be
 * pruned). The model first becomes the masked model (pruned channels zeroed, with the BatchNorm
 * channels they feed); the result computes exactly what the masked model computes, including
 * for the pruned channels that had to stay (`kept`, with reasons).
 */
export async function removePrunedChannels<M extends Module>(
  model: M,
  pruned: PruneSpec,
  options: RemoveOptions,
): Promise<RemovalResult<M>> {
  const who = 'removePrunedChannels';
  if (
    model instanceof Conv2d ||
    model instanceof Linear ||
    model instanceof QConv2d ||
    model instanceof QLinear
  ) {
    throw new Error(`${who}: the model itself is a ${model.constructor.name}; wrap it in a container first`);
  }
  const graph = analyzeChannels(model, options.inputShape);
  const pruning = resolvePruning(graph, pruned, who);
  await checkZeroBits(pruning, who);
  const masker = createMasker(graph, pruning);
  masker.apply();
  masker.dispose();
  const plan = planRemoval(graph, pruning, await readScales(graph));
  const result = report(graph, pruning, plan);
  const detached: Module[] = [];
  for (const layer of graph.layers) {
    const old = await rebuildLayer(layer, plan);
    if (old) detached.push(old);
  }
  for (const norm of graph.norms) {
    const old = await rebuildNorm(norm, plan);
    if (old) detached.push(old);
  }
  for (const pad of graph.pads) rebuildPad(pad, plan);
  for (const m of detached) m.dispose();
  nameTensors(model);
  return { model, ...result, opaque: [...graph.opaque] };
}
