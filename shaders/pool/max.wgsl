// 2-D max pooling over planes (n, c) of x [N, C, H, W] → y [N, C, ho, wo], with the argmax of
// each window (iy·W + ix within its plane) for the backward pass. Padding never wins (it is not
// read); ties go to the first element in row-major window order; a NaN wins and sticks.
// One invocation per output element.
//! binding: x read f32
//! binding: y read_write f32
//! binding: argmax read_write i32
//! param: planes u32
//! param: h u32
//! param: w u32
//! param: ho u32
//! param: wo u32
//! param: kh u32
//! param: kw u32
//! param: sh u32
//! param: sw u32
//! param: ph u32
//! param: pw u32
//! workgroup: 256 1 1

// NaN test on the bits: compilers may assume NaN-free floats and fold `v != v` to false.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.planes * params.ho * params.wo) {
    return;
  }
  let ox = i % params.wo;
  let oy = (i / params.wo) % params.ho;
  let plane = (i / (params.wo * params.ho)) * params.h * params.w;
  var best = 0.0;
  var bestIdx = -1;
  for (var ky: u32 = 0u; ky < params.kh; ky = ky + 1u) {
    let iy = i32(oy * params.sh + ky) - i32(params.ph);
    if (iy < 0 || iy >= i32(params.h)) {
      continue;
    }
    for (var kx: u32 = 0u; kx < params.kw; kx = kx + 1u) {
      let ix = i32(ox * params.sw + kx) - i32(params.pw);
      if (ix < 0 || ix >= i32(params.w)) {
        continue;
      }
      let idx = iy * i32(params.w) + ix;
      let v = x[plane + u32(idx)];
      if (bestIdx < 0 || v > best || (is_nan(v) && !is_nan(best))) {
        best = v;
        bestIdx = idx;
      }
    }
  }
  y[i] = best;
  argmax[i] = bestIdx;
}
