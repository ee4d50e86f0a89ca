// col2im in gather form (no atomics): the gradient of im2col. For samples [n0, n0 + count),
// dx[n0 + n, c, iy, ix] = Σ over taps (ky, kx) in order of the col element that im2col read
// from (iy, ix): col[n, (c·kh + ky)·kw + kx, oy·wo + ox] where oy·sh − ph + ky·dh = iy (and
// likewise for x). One invocation per element of dx; dx elements outside the range are untouched.
//! binding: col read f32
//! binding: dx read_write f32
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
  let plane = params.h * params.w;
  if (i >= params.count * params.c * plane) {
    return;
  }
  let ix = i % params.w;
  let iy = (i / params.w) % params.h;
  let nc = i / plane;
  let p = params.ho * params.wo;
  var acc = 0.0;
  for (var ky: u32 = 0u; ky < params.kh; ky = ky + 1u) {
    let ty = i32(iy + params.ph) - i32(ky * params.dh);
    if (ty < 0 || ty % i32(params.sh) != 0) {
      continue;
    }
    let oy = u32(ty) / params.sh;
    if (oy >= params.ho) {
      continue;
    }
    for (var kx: u32 = 0u; kx < params.kw; kx = kx + 1u) {
      let tx = i32(ix + params.pw) - i32(kx * params.dw);
      if (tx < 0 || tx % i32(params.sw) != 0) {
        continue;
      }
      let ox = u32(tx) / params.sw;
      if (ox >= params.wo) {
        continue;
      }
      // nc = n·C + c, so the col row (n, c, ky, kx) is (nc·kh + ky)·kw + kx.
      acc = acc + col[((nc * params.kh + ky) * params.kw + kx) * p + oy * params.wo + ox];
    }
  }
  dx[params.n0 * params.c * plane + i] = acc;
}
