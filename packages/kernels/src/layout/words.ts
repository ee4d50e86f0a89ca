/**
 * Layout kernels move 32-bit words, whatever the element type: their WGSL bindings are `u32`, and
 * their CPU twins look at every buffer through a Uint32Array view, so float32 (NaN payloads
 * included), int32 and uint32 tensors are all copied bit-exactly by the same kernel.
 */
import type { CpuBuffer, ScalarType } from '../descriptor.js';

/** A Uint32Array view of a CPU buffer's memory (no copy). */
export function words(buffer: CpuBuffer): Uint32Array {
  return buffer instanceof Uint32Array
    ? buffer
    : new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

const scratch = new DataView(new ArrayBuffer(4));

/** The 32-bit word that stores `value` as an element of type `elem` (e.g. a padding value). */
export function wordOf(value: number, elem: ScalarType): number {
  if (elem === 'f32') scratch.setFloat32(0, value, true);
  else if (elem === 'i32') scratch.setInt32(0, value, true);
  else scratch.setUint32(0, value, true);
  return scratch.getUint32(0, true);
}

/** Highest rank the layout kernels index directly (after merging dimensions that can be merged). */
export const LAYOUT_MAX_RANK = 6;
