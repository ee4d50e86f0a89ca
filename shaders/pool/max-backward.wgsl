// Gradient of max pooling in gather form (no atomics): dx[plane, iy, ix] = Σ dy over the windows
// (in row-major output order) whose argmax is (iy, ix). One invocation per element of dx.
//! binding: dy read f32
//! binding: argmax read i32
//! binding: dx read_write f32
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

// First output index along an axis whose window (o·s − p … o·s − p + k − 1) covers position t.
fn firstWindow(t: u32, k: u32, s: u32, p: u32) -> u32 {
  let start = i32(t + p) - i32(k) + 1;
  if (start <= 0) {
    return 0u;
  }
  return (u32(start) + s - 1u) / s;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  let planeSize = params.h * params.w;
  if (i >= params.planes * planeSize) {
    return;
  }
  let within = i32(i % planeSize);
  let ix = i % params.w;
  let iy = (i / params.w) % params.h;
  let out0 = (i / planeSize) * params.ho * params.wo;
  let oyEnd = min((iy + params.ph) / params.sh + 1u, params.ho);
  let oxEnd = min((ix + params.pw) / params.sw + 1u, params.wo);
  var acc = 0.0;
  for (var oy = firstWindow(iy, params.kh, params.sh, params.ph); oy < oyEnd; oy = oy + 1u) {
    for (var ox = firstWindow(ix, params.kw, params.sw, params.pw); ox < oxEnd; ox = ox + 1u) {
      let o = out0 + oy * params.wo + ox;
      if (argmax[o] == within) {
        acc = acc + dy[o];
      }
    }
  }
  dx[i] = acc;
}
