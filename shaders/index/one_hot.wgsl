// out[n, c] = 1 where labels[n] == c, else 0, for out [rows, classes] (n = rows·classes elements).
// A label outside [0, classes) gives an all-zero row; nothing is read out of bounds.
//! binding: labels read i32
//! binding: out read_write f32
//! param: n u32
//! param: classes u32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  out[i] = select(0.0, 1.0, labels[i / params.classes] == i32(i % params.classes));
}
