// Reduction over the middle axis of a tensor viewed as [outer, len, inner]:
// out[o, k] = reduce_{j < len} x[o, j, k]. One invocation per output element; the accumulator
// starts at INIT and combines with COMBINE(acc, v); FINISH maps the result (e.g. divides for mean).
//! binding: x read f32
//! binding: out read_write f32
//! param: outer u32
//! param: len u32
//! param: inner u32
//! param: scale f32
//! workgroup: 256 1 1
//! define: INIT = 0.0
//! define: COMBINE = acc + v
//! define: FINISH = acc

// NaN test on the bits: compilers may assume NaN-free floats and fold `v != v` to false.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.outer * params.inner) {
    return;
  }
  let o = i / params.inner;
  let k = i % params.inner;
  let base = o * params.len * params.inner + k;
  var acc: f32 = {{INIT}};
  for (var j: u32 = 0u; j < params.len; j = j + 1u) {
    let v = x[base + j * params.inner];
    acc = {{COMBINE}};
  }
  out[i] = {{FINISH}};
}
