/**
 * The accelerator this plugin models: the (fictional) Acme EdgeNPU-1, described the way a vendor
 * datasheet would describe it, plus the latency table "measured" on it. Everything the cost
 * model knows about the hardware is in this file, so porting the plugin to another device means
 * replacing this data and nothing else.
 *
 * EdgeNPU-1: a 256-lane multiply-accumulate array at 1 GHz. Weights are processed bit-serially
 * in 2-bit slices (a 1- or 2-bit weight takes one pass, 3–4 bits two passes, …); activations run
 * in 4-bit lanes (≤ 4 bits: one pass, 5–8 bits: two). Depthwise convolutions cannot fill the
 * array and are dominated by data movement, so they cost more per MAC and depend less on the
 * weight bits. Weights stream from DRAM at 8 GB/s and are never cached between inferences; each
 * layer also pays a fixed launch overhead.
 */

/** Layer kinds the table distinguishes. */
export type LayerKind = 'conv' | 'depthwise' | 'linear';

export const LAYER_KINDS: readonly LayerKind[] = ['conv', 'depthwise', 'linear'];

/**
 * Compute time per MAC in picoseconds, `[w − 1][a − 1]` for integer bits w, a ∈ 1..8, as
 * measured per layer kind (batch 1, array fully loaded). Bits between integers are interpolated
 * (see interpolate.ts); 0-bit weights (pruned channels) cost nothing; activations below 1 bit run
 * in the narrowest lane, i.e. cost as 1 bit.
 */
export const PS_PER_MAC: Readonly<Record<LayerKind, readonly (readonly number[])[]>> = {
  conv: [
    [0.61, 0.64, 0.67, 0.7, 1.17, 1.2, 1.23, 1.26],
    [0.67, 0.7, 0.73, 0.76, 1.23, 1.26, 1.29, 1.32],
    [1.25, 1.28, 1.31, 1.34, 2.25, 2.28, 2.31, 2.34],
    [1.31, 1.34, 1.37, 1.4, 2.31, 2.34, 2.37, 2.4],
    [1.89, 1.92, 1.95, 1.98, 3.34, 3.37, 3.4, 3.43],
    [1.95, 1.98, 2.01, 2.04, 3.4, 3.43, 3.46, 3.49],
    [2.53, 2.56, 2.59, 2.62, 4.42, 4.45, 4.48, 4.51],
    [2.59, 2.62, 2.65, 2.68, 4.48, 4.51, 4.54, 4.57],
  ],
  depthwise: [
    [2.19, 2.21, 2.23, 2.25, 3.41, 3.43, 3.45, 3.47],
    [2.24, 2.26, 2.28, 2.3, 3.46, 3.48, 3.5, 3.52],
    [2.51, 2.53, 2.55, 2.57, 3.73, 3.75, 3.77, 3.79],
    [2.56, 2.58, 2.6, 2.62, 3.78, 3.8, 3.82, 3.84],
    [2.83, 2.85, 2.87, 2.89, 4.05, 4.07, 4.09, 4.11],
    [2.88, 2.9, 2.92, 2.94, 4.1, 4.12, 4.14, 4.16],
    [3.15, 3.17, 3.19, 3.21, 4.37, 4.39, 4.41, 4.43],
    [3.2, 3.22, 3.24, 3.26, 4.42, 4.44, 4.46, 4.48],
  ],
  linear: [
    [0.83, 0.88, 0.93, 0.98, 1.63, 1.68, 1.73, 1.77],
    [0.91, 0.96, 1.01, 1.06, 1.7, 1.75, 1.8, 1.85],
    [1.69, 1.74, 1.79, 1.84, 3.08, 3.13, 3.18, 3.23],
    [1.77, 1.82, 1.87, 1.92, 3.16, 3.21, 3.26, 3.31],
    [2.55, 2.6, 2.65, 2.7, 4.53, 4.58, 4.63, 4.68],
    [2.63, 2.68, 2.73, 2.78, 4.61, 4.66, 4.71, 4.76],
    [3.41, 3.46, 3.51, 3.56, 5.99, 6.04, 6.09, 6.14],
    [3.49, 3.54, 3.59, 3.64, 6.07, 6.12, 6.17, 6.22],
  ],
};

/** The rest of the datasheet the latency model uses. */
export interface AcceleratorSpec {
  readonly name: string;
  /** DRAM → array weight bandwidth in bytes per microsecond (8 GB/s = 8000 B/µs). */
  readonly weightBytesPerUs: number;
  /** Fixed cost of launching one layer, µs. */
  readonly launchUs: number;
  /** Bias values are 32-bit and streamed like the weights. */
  readonly biasBits: number;
}

export const EDGE_NPU_1: AcceleratorSpec = {
  name: 'Acme EdgeNPU-1',
  weightBytesPerUs: 8000,
  launchUs: 0.25,
  biasBits: 32,
};

/**
 * The table as a function on the integer grid 0..8 × 0..8 (ps per MAC): row 0 (pruned weights)
 * is 0, column 0 costs as column 1. Throws for anything off the grid.
 */
export function tableAt(kind: LayerKind, w: number, a: number): number {
  if (!Number.isInteger(w) || !Number.isInteger(a) || w < 0 || w > 8 || a < 0 || a > 8) {
    throw new Error(`tableAt: expected integer bits in 0..8, got w=${w}, a=${a}`);
  }
  if (w === 0) return 0;
  return PS_PER_MAC[kind][w - 1][Math.max(a, 1) - 1];
}
