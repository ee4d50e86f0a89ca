// Strided padding of 32-bit words over a rank-6 index space (shorter shapes padded with leading
// 1s). Output coordinate j_k reads input coordinate t_k = (j_k − b_k) / st_k on every axis when
// j_k ≥ b_k, (j_k − b_k) is a multiple of st_k and t_k < xd_k; any other output element is the
// `fill` word. With st = 1 this is constant padding; with b = slice starts, st = slice steps and
// fill = 0 it scatters a slice's gradient back into the sliced tensor's shape.
// x is contiguous with shape (xd0..xd5); out is contiguous with shape (d0..d5).
//! binding: x read u32
//! binding: out read_write u32
//! param: n u32
//! param: d0 u32
//! param: d1 u32
//! param: d2 u32
//! param: d3 u32
//! param: d4 u32
//! param: d5 u32
//! param: xd0 u32
//! param: xd1 u32
//! param: xd2 u32
//! param: xd3 u32
//! param: xd4 u32
//! param: xd5 u32
//! param: b0 u32
//! param: b1 u32
//! param: b2 u32
//! param: b3 u32
//! param: b4 u32
//! param: b5 u32
//! param: st0 u32
//! param: st1 u32
//! param: st2 u32
//! param: st3 u32
//! param: st4 u32
//! param: st5 u32
//! param: fill u32
//! workgroup: 256 1 1

const NONE: u32 = 0xffffffffu;

// The input coordinate read by output coordinate j on one axis, or NONE in the padding.
fn source(j: u32, b: u32, st: u32, xd: u32) -> u32 {
  if (j < b) {
    return NONE;
  }
  let t = j - b;
  if (t % st != 0u || t / st >= xd) {
    return NONE;
  }
  return t / st;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  var r = i;
  let t5 = source(r % params.d5, params.b5, params.st5, params.xd5); r = r / params.d5;
  let t4 = source(r % params.d4, params.b4, params.st4, params.xd4); r = r / params.d4;
  let t3 = source(r % params.d3, params.b3, params.st3, params.xd3); r = r / params.d3;
  let t2 = source(r % params.d2, params.b2, params.st2, params.xd2); r = r / params.d2;
  let t1 = source(r % params.d1, params.b1, params.st1, params.xd1); r = r / params.d1;
  let t0 = source(r, params.b0, params.st0, params.xd0);
  if (t0 == NONE || t1 == NONE || t2 == NONE || t3 == NONE || t4 == NONE || t5 == NONE) {
    out[i] = params.fill;
    return;
  }
  let src = ((((t0 * params.xd1 + t1) * params.xd2 + t2) * params.xd3 + t3) * params.xd4 + t4) * params.xd5 + t5;
  out[i] = x[src];
}
