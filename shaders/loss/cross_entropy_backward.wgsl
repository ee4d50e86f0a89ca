// Gradient of the per-row cross-entropy (loss/cross_entropy) with respect to the logits:
// gx[n, c] = (softmax(x[n])[c] − [c == t]) · g[n], t = labels[n] clamped into [0, classes) as in
// the forward kernel. One invocation per row (it recomputes the row's max and sum of exponentials
// instead of keeping them from the forward pass).
//! binding: logits read f32
//! binding: labels read i32
//! binding: g read f32
//! binding: gx read_write f32
//! param: rows u32
//! param: classes u32
//! workgroup: 64 1 1

// NaN test on the bits: compilers may fold `v != v` to false (WGSL lets them assume no NaNs).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.y * nwg.x * WG_X;
  if (n >= params.rows || params.classes == 0u) {
    return;
  }
  let base = n * params.classes;
  var m = logits[base];
  for (var c: u32 = 1u; c < params.classes; c = c + 1u) {
    let v = logits[base + c];
    m = select(m, v, v > m || is_nan(v));
  }
  var s: f32 = 0.0;
  for (var c: u32 = 0u; c < params.classes; c = c + 1u) {
    s = s + exp(logits[base + c] - m);
  }
  let t = u32(clamp(labels[n], 0, i32(params.classes) - 1));
  let gn = g[n];
  for (var c: u32 = 0u; c < params.classes; c = c + 1u) {
    let p = exp(logits[base + c] - m) / s;
    gx[base + c] = (p - select(0.0, 1.0, c == t)) * gn;
  }
}
