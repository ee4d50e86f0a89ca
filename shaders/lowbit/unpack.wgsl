// Unpacks low-bit weight codes: codes[r·k + i] = code i of row r. `w` is a little-endian
// bitstream (bit i is bit i % 32 of word i / 32); row r starts at bit rowInfo[2r] and holds k
// codes of b = rowInfo[2r + 1] bits, which may straddle words. Layout and CPU helpers:
// packages/kernels/src/lowbit/format.ts. One invocation per code.
// The BITS section below is spliced into the other lowbit kernels (their BITS template
// variable), which read packed weights through the same binding name `w`.
//! binding: w read u32
//! binding: rowInfo read u32
//! binding: codes read_write u32
//! param: rows u32
//! param: k u32
//! workgroup: 256 1 1

// BEGIN BITS
// Bits [pos, pos + 32) of the bitstream `w`. Both reads are clamped into the buffer, so they
// never leave it; bits past the end of a row are padding or the next row's, and callers mask
// them or multiply them by zero activations.
fn bit_window(pos: u32) -> u32 {
  let last = arrayLength(&w) - 1u;
  let i = pos >> 5u;
  let s = pos & 31u;
  let lo = w[min(i, last)] >> s;
  let hi = select(0u, w[min(i + 1u, last)] << ((32u - s) & 31u), s != 0u);
  return lo | hi;
}

// Mask of a b-bit code (0 for b = 0, a pruned row: its codes read as 0).
fn code_mask(b: u32) -> u32 {
  return (1u << b) - 1u;
}

// The four b-bit codes (b ≤ 8) at the low end of v, one per byte, code 0 in byte 0: the operand
// layout of dot4U8Packed. For b = 8 this is v itself.
fn spread4(v: u32, b: u32) -> u32 {
  let m = code_mask(b);
  return (v & m) | (((v >> b) & m) << 8u) | (((v >> (2u * b)) & m) << 16u) | (((v >> (3u * b)) & m) << 24u);
}
// END BITS

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.rows * params.k) {
    return;
  }
  let r = i / params.k;
  let b = rowInfo[2u * r + 1u];
  codes[i] = bit_window(rowInfo[2u * r] + (i % params.k) * b) & code_mask(b);
}
