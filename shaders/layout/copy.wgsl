// Strided copy of 32-bit words over a rank-6 index space (shorter shapes are padded with leading
// 1s): out[oo + Σ i_k·so_k] = x[xo + Σ i_k·sx_k] for every index (i0..i5) < (d0..d5).
// Permute, transpose, strided slice and each part of a concat are this one copy with different
// strides and offsets. Elements move as u32 words so every 32-bit dtype is copied bit-exactly.
//! binding: x read u32
//! binding: out read_write u32
//! param: n u32
//! param: d0 u32
//! param: d1 u32
//! param: d2 u32
//! param: d3 u32
//! param: d4 u32
//! param: d5 u32
//! param: sx0 u32
//! param: sx1 u32
//! param: sx2 u32
//! param: sx3 u32
//! param: sx4 u32
//! param: sx5 u32
//! param: so0 u32
//! param: so1 u32
//! param: so2 u32
//! param: so3 u32
//! param: so4 u32
//! param: so5 u32
//! param: xo u32
//! param: oo u32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  var r = i;
  let i5 = r % params.d5; r = r / params.d5;
  let i4 = r % params.d4; r = r / params.d4;
  let i3 = r % params.d3; r = r / params.d3;
  let i2 = r % params.d2; r = r / params.d2;
  let i1 = r % params.d1; r = r / params.d1;
  let i0 = r;
  let src = params.xo + i0 * params.sx0 + i1 * params.sx1 + i2 * params.sx2 + i3 * params.sx3 + i4 * params.sx4 + i5 * params.sx5;
  let dst = params.oo + i0 * params.so0 + i1 * params.so1 + i2 * params.so2 + i3 * params.so3 + i4 * params.so4 + i5 * params.so5;
  out[dst] = x[src];
}
