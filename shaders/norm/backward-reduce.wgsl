// Batch-norm backward, per-channel sums over x and dy viewed as [n, c, hw]:
// dbeta[ch] = Σ dy, dgamma[ch] = Σ dy·x̂ with x̂ = (x − mean)·(1 / sqrt(variance + eps)).
// One workgroup per channel, lane sums then a tree reduction (as norm/stats).
//! binding: x read f32
//! binding: dy read f32
//! binding: mean read f32
//! binding: variance read f32
//! binding: dgamma read_write f32
//! binding: dbeta read_write f32
//! param: n u32
//! param: c u32
//! param: hw u32
//! param: eps f32
//! workgroup: 256 1 1

var<workgroup> partial: array<vec2f, WG_X>;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let ch = wid.x;
  let count = params.n * params.hw;
  let mu = mean[ch];
  let invStd = 1.0 / sqrt(variance[ch] + params.eps);
  var sdy = 0.0;
  var sdyx = 0.0;
  for (var j = lid.x; j < count; j = j + WG_X) {
    let i = ((j / params.hw) * params.c + ch) * params.hw + j % params.hw;
    let g = dy[i];
    sdy = sdy + g;
    sdyx = sdyx + g * ((x[i] - mu) * invStd);
  }
  partial[lid.x] = vec2f(sdy, sdyx);
  for (var s = WG_X / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid.x < s) {
      partial[lid.x] = partial[lid.x] + partial[lid.x + s];
    }
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    dbeta[ch] = partial[0].x;
    dgamma[ch] = partial[0].y;
  }
}
