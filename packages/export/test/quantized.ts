/** Builds small mixed-precision models the way a FracBits run leaves them (integer bits, fixed). */
import {
  type IntegerBits,
  type QuantizeModelOptions,
  quantizedLayers,
  quantizeModel,
  setIntegerBits,
  setQuantMode,
} from '@fracbits/core';
import type { Module } from '@fracbits/nn';
import { noGrad, scope, type Tensor, tensor } from '@fracbits/tensor';

/**
 * PACT clips from data, as training would settle them: each quantized input's α is set to
 * `fraction` of the largest value that input takes on `input` in float mode. (CI has no trained
 * model; with the default α = 8 a random model's small activations would all round to 0.)
 */
export function calibrateAlphas(model: Module, input: Tensor, fraction = 0.8): void {
  const layers = quantizedLayers(model);
  const largest = new Map<string, number>();
  setQuantMode(model, 'float');
  try {
    for (const [name, layer] of layers) {
      const forward = layer.call.bind(layer);
      layer.call = (x: Tensor) => {
        let m = 0;
        for (const v of x.dataSync()) m = Math.max(m, Math.abs(v));
        largest.set(name, m);
        return forward(x);
      };
    }
    noGrad(() => scope(() => model.call(input)));
  } finally {
    for (const [, layer] of layers) delete (layer as { call?: unknown }).call;
    setQuantMode(model, 'fixed');
  }
  for (const [name, layer] of layers) {
    if (layer.alpha) layer.alpha.assign(tensor([fraction * (largest.get(name) ?? 1)], [1]));
  }
}

/** Bits of one layer; a missing `w` keeps the pinned value or the target bits. */
export type LayerBitsSpec = Partial<IntegerBits>;

/**
 * Quantizes `model` (kernel-wise bits in [0, 8] unless overridden), calibrates α on `calibration`
 * and fixes integer bits: those given per layer name, the target bits elsewhere.
 */
export function quantizeFixed(
  model: Module,
  inputShape: number[],
  calibration: Tensor,
  bits: Record<string, LayerBitsSpec>,
  options: Partial<QuantizeModelOptions> = {},
): Module {
  const targetBits = options.targetBits ?? 4;
  quantizeModel(model, {
    inputShape,
    mode: 'fixed',
    granularity: 'kernel',
    bitsRange: [0, 8],
    ...options,
    targetBits,
  });
  model.eval();
  calibrateAlphas(model, calibration);
  const all: Record<string, IntegerBits> = {};
  for (const [name, layer] of quantizedLayers(model)) {
    const given = bits[name] ?? {};
    all[name] = { w: given.w ?? layer.bitsW.pinned ?? targetBits, a: given.a ?? targetBits };
  }
  setIntegerBits(model, all);
  return model;
}

/** Channel bits cycling through `levels` (kernel-wise assignments with pruned channels). */
export function cycle(channels: number, levels: readonly number[]): number[] {
  return Array.from({ length: channels }, (_, i) => levels[i % levels.length]);
}
