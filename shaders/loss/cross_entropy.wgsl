// Per-row cross-entropy of logits [rows, classes] against int32 labels [rows]:
// loss[n] = log Σ_c exp(x[n, c] − m) − (x[n, t] − m), m = max_c x[n, c], t = labels[n].
// One invocation per row. Labels outside [0, classes) are clamped into range so the kernel never
// reads out of bounds; the host validates labels where it can read them (CPU tensors).
//! binding: logits read f32
//! binding: labels read i32
//! binding: loss read_write f32
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
  loss[n] = log(s) - (logits[base + t] - m);
}
