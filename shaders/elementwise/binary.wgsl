// out[i] = f(a[ia], b[ib]) with NumPy broadcasting. The output shape is padded to rank 6
// (d0..d5); sa*/sb* are the inputs' strides in that frame, 0 on broadcast dimensions.
//! binding: a read f32
//! binding: b read f32
//! binding: out read_write f32
//! param: n u32
//! param: d0 u32
//! param: d1 u32
//! param: d2 u32
//! param: d3 u32
//! param: d4 u32
//! param: d5 u32
//! param: sa0 u32
//! param: sa1 u32
//! param: sa2 u32
//! param: sa3 u32
//! param: sa4 u32
//! param: sa5 u32
//! param: sb0 u32
//! param: sb1 u32
//! param: sb2 u32
//! param: sb3 u32
//! param: sb4 u32
//! param: sb5 u32
//! workgroup: 256 1 1
//! define: EXPR = x + y

fn apply(x: f32, y: f32) -> f32 {
  return {{EXPR}};
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  var r = i;
  let i5 = r % params.d5; r = r / params.d5;
  let i4 = r % params.d4; r = r / params.d4;
  let i3 = r % params.d3; r = r / params.d3;
  let i2 = r % params.d2; r = r / params.d2;
  let i1 = r % params.d1; r = r / params.d1;
  let i0 = r;
  let ia = i0 * params.sa0 + i1 * params.sa1 + i2 * params.sa2 + i3 * params.sa3 + i4 * params.sa4 + i5 * params.sa5;
  let ib = i0 * params.sb0 + i1 * params.sb1 + i2 * params.sb2 + i3 * params.sb3 + i4 * params.sb4 + i5 * params.sb5;
  out[i] = apply(a[ia], b[ib]);
}
