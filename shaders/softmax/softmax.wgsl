// Softmax or log-softmax along the middle axis of x viewed as [outer, len, inner], one invocation
// per row (o, k). Numerically stable: m = max_j x (NaN wins, as in reduce/axis),
// s = Σ_j exp(x − m), ls = log(s); OUT is the result written for d = x − m:
// softmax `exp(d) / s`, log-softmax `d - ls`.
//! binding: x read f32
//! binding: y read_write f32
//! param: outer u32
//! param: len u32
//! param: inner u32
//! workgroup: 64 1 1
//! define: OUT = exp(d) / s

// NaN test on the bits: compilers may fold `v != v` to false (WGSL lets them assume no NaNs).
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.outer * params.inner || params.len == 0u) {
    return;
  }
  let step = params.inner;
  let base = (i / params.inner) * params.len * params.inner + i % params.inner;
  var m = x[base];
  for (var j: u32 = 1u; j < params.len; j = j + 1u) {
    let v = x[base + j * step];
    m = select(m, v, v > m || is_nan(v));
  }
  var s: f32 = 0.0;
  for (var j: u32 = 0u; j < params.len; j = j + 1u) {
    s = s + exp(x[base + j * step] - m);
  }
  let ls = log(s);
  for (var j: u32 = 0u; j < params.len; j = j + 1u) {
    let d = x[base + j * step] - m;
    y[base + j * step] = {{OUT}};
  }
}
