/** LayerInfo lists (for cost models) of float or quantized models, and bits for pruned layers. */
import { assignmentFor, getBits, layerInfos, quantizedLayers, toLayerInfo } from '@fracbits/core';
import { describeLayers, type Module } from '@fracbits/nn';
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';
import type { Shape } from '@fracbits/tensor';

/**
 * One LayerInfo per conv / linear application, in execution order: core's `layerInfos` for a
 * quantized model (with the pinned first / last layers), nn's `describeLayers` for a float one.
 */
export function describeModel(model: Module, inputShape: Shape): LayerInfo[] {
  if (quantizedLayers(model).length > 0) return layerInfos(model, inputShape);
  return describeLayers(model, inputShape).map(toLayerInfo);
}

/** The bit-widths of a quantized model aligned with `layers` (clamped λ̂; integers once fixed). */
export async function modelBits(model: Module, layers: readonly LayerInfo[]): Promise<BitAssignment[]> {
  return assignmentFor(layers, await getBits(model));
}

/**
 * Carries bit-widths over to the pruned layers: `bits[i]` belongs to `before[i]`; each layer of
 * `after` takes its layer's entry, kernel-wise weights restricted to the kept output channels.
 */
export function carryBits(
  before: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  after: readonly LayerInfo[],
  keptOutputs: ReadonlyMap<string, readonly number[]>,
): BitAssignment[] {
  if (bits.length !== before.length) {
    throw new Error(
      `carryBits: expected one bit assignment per layer (${before.length}), got ${bits.length}`,
    );
  }
  const byName = new Map(before.map((l, i) => [l.name, bits[i]] as const));
  return after.map((l) => {
    const b = byName.get(l.name);
    if (!b) throw new Error(`carryBits: no bit-widths for layer "${l.name}"`);
    const base = l.name.replace(/#\d+$/, '');
    const kept = keptOutputs.get(base);
    if (b.w.length === 1 || !kept) return { w: [...b.w], a: b.a };
    return { w: kept.map((o) => b.w[o]), a: b.a };
  });
}
