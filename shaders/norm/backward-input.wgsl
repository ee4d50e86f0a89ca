// Batch-norm gradient to x, viewed as [n, c, hw], with k = invStd·gamma[ch]:
//   training (batch statistics, train != 0): dx = k·(dy − (dbeta[ch] + x̂·dgamma[ch]) / count)
//   evaluation (fixed statistics):           dx = k·dy
// where x̂ = (x − mean)·invStd, invStd = 1 / sqrt(variance + eps), count = n·hw, and dgamma,
// dbeta come from norm/backward-reduce. One invocation per element.
//! binding: x read f32
//! binding: dy read f32
//! binding: mean read f32
//! binding: variance read f32
//! binding: gamma read f32
//! binding: dgamma read f32
//! binding: dbeta read f32
//! binding: dx read_write f32
//! param: total u32
//! param: c u32
//! param: hw u32
//! param: eps f32
//! param: train u32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.total) {
    return;
  }
  let ch = (i / params.hw) % params.c;
  let invStd = 1.0 / sqrt(variance[ch] + params.eps);
  let k = invStd * gamma[ch];
  if (params.train == 0u) {
    dx[i] = k * dy[i];
    return;
  }
  let count = f32(params.total / params.c);
  let xhat = (x[i] - mean[ch]) * invStd;
  dx[i] = k * (dy[i] - (dbeta[ch] + xhat * dgamma[ch]) / count);
}
