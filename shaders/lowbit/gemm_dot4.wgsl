// Low-bit GEMM / conv with integer dot products (WGSL language feature
// packed_4x8_integer_dot_product). Same operands, tiling and output as lowbit/gemm_float, but the
// activations are PACT codes packed four to a word (lowbit/im2col_packed) and the accumulator is
// computed with unsigned 4×8-bit dot products:
//   acc = Σ_k (2j − L)·q = 2·Σ_k j·q − L·Σ_k q,
// j ∈ [0, L] the weight codes and q ∈ [0, 255] the activation codes, both unsigned bytes, so
// every bit-width 1..8 of weights and activations takes the same path (a signed dot4I8Packed on
// 2j − L would need an int16 split at 8 bits and q ≤ 127). The u32 sums wrap modulo 2^32 and
// the difference is exact while |acc| < 2^31 (K < 33 000 taps at 8 × 8 bits).
//! binding: w read u32
//! binding: rowInfo read u32
//! binding: x read u32
//! binding: epi read f32
//! binding: y read_write f32
//! param: rows u32
//! param: channels u32
//! param: positions u32
//! param: kWords u32
//! param: rowWords u32
//! param: perGroup u32
//! param: tilesPerGroup u32
//! param: tileCount u32
//! param: relu u32
//! workgroup: WG_O WG_R 1
//! define: TM = 4
//! define: TO = 4
//! define: WG_O = 8
//! define: WG_R = 8
//! define: ACC_OUT = false
//! define: GROUPED = true
//! define: BITS = // (spliced from lowbit/unpack.wgsl)
//! define: TILE = // (spliced from lowbit/gemm_float.wgsl)

{{BITS}}

const TM: u32 = {{TM}}u;
const TO: u32 = {{TO}}u;
const ACC_OUT: bool = {{ACC_OUT}};
// false when groups = 1: the group (and so the activation address) is then known to be uniform.
const GROUPED: bool = {{GROUPED}};

{{TILE}}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let tile = tile_of(wid, lid, nwg);
  if (!tile.valid) {
    return;
  }
  var xr: array<u32, TM>;
  for (var r = 0u; r < TM; r = r + 1u) {
    xr[r] = row_base(tile, r);
  }
  var sjq: array<array<u32, TO>, TM>;
  var sq: array<u32, TM>;
  for (var t = 0u; t < params.kWords; t = t + 1u) {
    var wv: array<u32, TO>;
    for (var c = 0u; c < TO; c = c + 1u) {
      let b = tile.bits[c];
      wv[c] = spread4(bit_window(tile.base[c] + 4u * t * b), b);
    }
    for (var r = 0u; r < TM; r = r + 1u) {
      let a = x[xr[r] + t];
      sq[r] = sq[r] + dot4U8Packed(a, 0x01010101u);
      for (var c = 0u; c < TO; c = c + 1u) {
        sjq[r][c] = sjq[r][c] + dot4U8Packed(wv[c], a);
      }
    }
  }
  for (var r = 0u; r < TM; r = r + 1u) {
    let row = tile.r0 + r;
    if (row >= params.rows) {
      break;
    }
    for (var c = 0u; c < tile.count; c = c + 1u) {
      let raw = 2u * sjq[r][c] - code_mask(tile.bits[c]) * sq[r];
      store(row, tile.o0 + c, f32(bitcast<i32>(raw)), raw);
    }
  }
}
