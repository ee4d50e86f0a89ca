// Batch-norm statistics: per channel ch of x viewed as [n, c, hw], the mean and the biased
// variance (two passes: mean first, then the mean of squared deviations). One workgroup per
// channel; lane t sums elements t, t + WG_X, … in order, then a tree reduction in workgroup
// memory (the CPU twin replays exactly this order).
//! binding: x read f32
//! binding: mean read_write f32
//! binding: variance read_write f32
//! param: n u32
//! param: c u32
//! param: hw u32
//! workgroup: 256 1 1

var<workgroup> partial: array<f32, WG_X>;

// Sums partial[0..WG_X) by halving (WG_X is a power of two); every lane gets the total.
fn treeSum(lane: u32) -> f32 {
  for (var s = WG_X / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lane < s) {
      partial[lane] = partial[lane] + partial[lane + s];
    }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let ch = wid.x;
  let count = params.n * params.hw;
  var s = 0.0;
  for (var j = lid.x; j < count; j = j + WG_X) {
    s = s + x[((j / params.hw) * params.c + ch) * params.hw + j % params.hw];
  }
  partial[lid.x] = s;
  let mu = treeSum(lid.x) / f32(count);
  var q = 0.0;
  for (var j = lid.x; j < count; j = j + WG_X) {
    let d = x[((j / params.hw) * params.c + ch) * params.hw + j % params.hw] - mu;
    q = q + d * d;
  }
  partial[lid.x] = q;
  let v = treeSum(lid.x) / f32(count);
  if (lid.x == 0u) {
    mean[ch] = mu;
    variance[ch] = v;
  }
}
