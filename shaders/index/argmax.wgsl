// Index of the maximum along the middle axis of x viewed as [outer, len, inner], as int32; one
// invocation per output element. Ties go to the first index; a NaN counts as the maximum (the
// first NaN wins), as in reduce/axis's max.
//! binding: x read f32
//! binding: out read_write i32
//! param: outer u32
//! param: len u32
//! param: inner u32
//! workgroup: 256 1 1

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
  let base = (i / params.inner) * params.len * params.inner + i % params.inner;
  var best = x[base];
  var arg: u32 = 0u;
  for (var j: u32 = 1u; j < params.len; j = j + 1u) {
    let v = x[base + j * params.inner];
    if (v > best || (is_nan(v) && !is_nan(best))) {
      best = v;
      arg = j;
    }
  }
  out[i] = i32(arg);
}
