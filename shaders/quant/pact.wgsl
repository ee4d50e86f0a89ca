// PACT activation quantizer with a learnable clip α, output and every gradient partial in one
// pass (FRACBITS.md §2). a = |α|, λ̂ = lam[(i / inner) % groups] (already clamped), and
//   single-sided (SIGNED = false): xc = clamp(x, 0, a) / a,  v = Qλ̂(xc),          out = a·v
//   double-sided (SIGNED = true):  xc = clamp(x, −a, a) / a, v = 2·Qλ̂((xc+1)/2) − 1, out = a·v
// Partials (STE through Q; "inside" is 0 < x < a, resp. −a < x < a):
//   dx     = inside ? 1 : 0
//   dalpha = sign(α)·(v − (inside ? xc : 0))    (1 where x ≥ a, Q(xc) − xc inside, 0 below 0)
//   dlam   = a·(Q_hi − Q_lo), doubled when SIGNED
// The division by a is the one operation whose precision WGSL leaves to the device (2.5 ulp);
// lavapipe divides exactly, as the CPU twin does.
//! binding: x read f32
//! binding: alpha read f32
//! binding: lam read f32
//! binding: out read_write f32
//! binding: dx read_write f32
//! binding: dalpha read_write f32
//! binding: dlam read_write f32
//! param: n u32
//! param: inner u32
//! param: groups u32
//! param: zero f32
//! workgroup: 256 1 1
//! define: SIGNED = false
//! define: LEVELS = // (spliced from quant/level.wgsl)

{{LEVELS}}

const SIGNED: bool = {{SIGNED}};

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  let al = alpha[0];
  let a = abs(al);
  let x_i = x[i];
  let floor_x = select(0.0, -a, SIGNED);
  let xc = clamp(x_i, floor_x, a) / a;
  let u = select(xc, (xc + 1.0) * 0.5, SIGNED);
  let r = frac_quantize(u, lam[(i / params.inner) % params.groups], params.zero);
  let v = select(r.q, 2.0 * r.q - 1.0, SIGNED);
  let d = select(r.hi - r.lo, 2.0 * (r.hi - r.lo), SIGNED);
  let inside = x_i > floor_x && x_i < a;
  out[i] = a * v;
  dx[i] = select(0.0, 1.0, inside);
  dalpha[i] = sign(al) * (v - select(0.0, xc, inside));
  dlam[i] = a * d;
}
