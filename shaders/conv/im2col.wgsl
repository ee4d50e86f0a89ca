// im2col for a 2-D convolution over samples [n0, n0 + count) of x [N, C, H, W]:
// col[n, row, p] with row = (c·kh + ky)·kw + kx and p = oy·wo + ox holds
// x[n0 + n, c, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw], or 0 where that falls in the padding.
// Rows of one group are consecutive (c = g·C/groups + c'), so the GEMM reads group g's
// [C/groups·kh·kw, ho·wo] block at a fixed stride. One invocation per col element.
//! binding: x read f32
//! binding: col read_write f32
//! param: n0 u32
//! param: count u32
//! param: c u32
//! param: h u32
//! param: w u32
//! param: kh u32
//! param: kw u32
//! param: sh u32
//! param: sw u32
//! param: ph u32
//! param: pw u32
//! param: dh u32
//! param: dw u32
//! param: ho u32
//! param: wo u32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  let taps = params.kh * params.kw;
  let p = params.ho * params.wo;
  let rows = params.c * taps;
  if (i >= params.count * rows * p) {
    return;
  }
  let pos = i % p;
  let row = (i / p) % rows;
  let n = i / (p * rows);
  let ch = row / taps;
  let ky = (row % taps) / params.kw;
  let kx = row % params.kw;
  let iy = i32((pos / params.wo) * params.sh + ky * params.dh) - i32(params.ph);
  let ix = i32((pos % params.wo) * params.sw + kx * params.dw) - i32(params.pw);
  var v = 0.0;
  if (iy >= 0 && iy < i32(params.h) && ix >= 0 && ix < i32(params.w)) {
    v = x[((params.n0 + n) * params.c + ch) * params.h * params.w + u32(iy) * params.w + u32(ix)];
  }
  col[i] = v;
}
