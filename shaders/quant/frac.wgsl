// The fractional quantizer with its gradient partial, in one pass (FRACBITS.md §2):
//   out[i] = Qλ̂(u[i])·scale + shift,   dlam[i] = (Q_hi(u[i]) − Q_lo(u[i]))·scale
// with λ̂ = lam[(i / inner) % groups]: groups = 1 for one λ per tensor, groups = C and
// inner = size / C for one λ per leading (output-channel) slice. scale/shift give the weight
// quantizer's 2·Q − 1 (scale 2, shift −1) without a second pass; use powers of two for scale so
// the result does not depend on whether a device fuses the multiply-add. lam holds λ̂ already
// clamped to [bmin, bmax] ⊆ [0, 16]; u is meant to lie in [0, 1].
//! binding: u read f32
//! binding: lam read f32
//! binding: out read_write f32
//! binding: dlam read_write f32
//! param: n u32
//! param: inner u32
//! param: groups u32
//! param: zero f32
//! param: scale f32
//! param: shift f32
//! workgroup: 256 1 1
//! define: LEVELS = // (spliced from quant/level.wgsl)

{{LEVELS}}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  let lam_i = lam[(i / params.inner) % params.groups];
  let r = frac_quantize(u[i], lam_i, params.zero);
  out[i] = r.q * params.scale + params.shift;
  dlam[i] = (r.hi - r.lo) * params.scale;
}
