// Batch-norm normalisation of x viewed as [n, c, hw]:
// y = (x − mean[ch]) · (1 / sqrt(variance[ch] + eps)) · gamma[ch] + beta[ch]
// (batch statistics in training, running statistics in evaluation). One invocation per element.
//! binding: x read f32
//! binding: mean read f32
//! binding: variance read f32
//! binding: gamma read f32
//! binding: beta read f32
//! binding: y read_write f32
//! param: total u32
//! param: c u32
//! param: hw u32
//! param: eps f32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.total) {
    return;
  }
  let ch = (i / params.hw) % params.c;
  let invStd = 1.0 / sqrt(variance[ch] + params.eps);
  let xhat = (x[i] - mean[ch]) * invStd;
  y[i] = xhat * gamma[ch] + beta[ch];
}
