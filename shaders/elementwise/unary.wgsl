// y[i] = f(x[i]) for a unary function chosen by the template variable EXPR (a WGSL expression in x).
//! binding: x read f32
//! binding: y read_write f32
//! param: n u32
//! param: alpha f32
//! param: beta f32
//! workgroup: 256 1 1
//! define: EXPR = x

fn apply(x: f32) -> f32 {
  let a = params.alpha;
  let b = params.beta;
  return {{EXPR}};
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  y[i] = apply(x[i]);
}
