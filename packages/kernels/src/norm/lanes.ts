/**
 * Replays, on the CPU, how the per-channel norm kernels reduce: WORKGROUP lanes, lane t summing
 * elements t, t + WORKGROUP, … of a channel in order (float32), then a halving tree. Walking the
 * channel's elements in order and cycling the lane index adds the same terms in the same order.
 */
import { shaderSources } from '../generated/shaders.js';

/** Lanes per channel of `norm/stats` and `norm/backward-reduce` (their workgroup size). */
export const NORM_LANES = Number(shaderSources['norm/stats'].workgroupSize[0]);

/** Halving tree over `partial` (length NORM_LANES, float32 adds), as the WGSL `treeSum`. */
export function treeSum(partial: Float32Array): number {
  for (let s = NORM_LANES >> 1; s > 0; s >>= 1) {
    for (let t = 0; t < s; t++) partial[t] += partial[t + s];
  }
  return partial[0];
}

/** 1 / sqrt(variance + eps) in float32 steps, as the kernels compute it. */
export function invStd(variance: number, eps: number): number {
  return Math.fround(1 / Math.fround(Math.sqrt(Math.fround(variance + Math.fround(eps)))));
}
