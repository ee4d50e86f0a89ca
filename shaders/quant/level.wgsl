// The k-bit quantizer levels of FracBits (FRACBITS.md §2), shared by every quant/ kernel:
// the section between the LEVELS markers is spliced into quant/frac.wgsl and quant/pact.wgsl
// through their LEVELS template variable, so the level math exists once.
// This file's own kernel tabulates out[i] = Q_k(u[i]) for one integer k (tests use it).
//! binding: u read f32
//! binding: out read_write f32
//! param: n u32
//! param: k u32
//! param: zero f32
//! workgroup: 256 1 1
//! define: DIV_GUESS = m / (p - 1.0)

// BEGIN LEVELS
// Largest bit-width the kernels accept (callers clamp λ̂ to [bmin, bmax] ⊆ [0, 16]).
const MAX_BITS: u32 = 16u;

// Bit patterns of positive floats are ordered like the floats: ±1 is the next float up/down.
fn next_up(q: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(q) + 1u);
}

fn next_down(q: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(q) - 1u);
}

// m / (2^k − 1) correctly rounded (as PyTorch's division), for an integer m ≥ 0 (< 2^24),
// on every conforming device: WGSL division may be off by 2.5 ulp, so the quotient is fixed up
// with exact residuals m − q·n = (m − q·2^k) + q (q·2^k is exact, the subtraction is exact by
// Sterbenz, and the sum is exact because it is a small multiple of ulp(q)). Only + − × are used
// to decide, and WGSL rounds those correctly. DIV_GUESS is the first guess (tests replace it by
// deliberately wrong ones to exercise the fix-up, which lavapipe's exact division never needs).
fn level_div(m: f32, k: u32) -> f32 {
  if (m == 0.0) {
    return 0.0;
  }
  let p = f32(1u << k);
  var q = {{DIV_GUESS}};
  for (var step = 0u; step < 3u; step = step + 1u) {
    let r = (m - q * p) + q;
    let other = select(next_down(q), next_up(q), r > 0.0);
    let ro = (m - other * p) + other;
    if (r == 0.0 || abs(ro) >= abs(r)) {
      break;
    }
    q = other;
  }
  return q;
}

// Q_k(u) = roundHalfEven((2^k − 1)·u) / (2^k − 1) for k ≥ 1; the fixed zero level for k = 0.
// u is meant to lie in [0, 1]; outside it the level is still m / n, with m's sign kept.
fn level(u: f32, k: u32, zero: f32) -> f32 {
  if (k == 0u) {
    return zero;
  }
  let kk = min(k, MAX_BITS);
  let n = f32((1u << kk) - 1u);
  let m = round(u * n);
  let q = level_div(abs(m), kk);
  return select(q, -q, m < 0.0);
}

// The fractional quantizer at clamped bit-width lam: Q_lo, Q_hi and f·Q_hi + (1 − f)·Q_lo.
struct Frac {
  lo: f32,
  hi: f32,
  q: f32,
}

fn frac_quantize(u: f32, lam: f32, zero: f32) -> Frac {
  let flo = floor(lam);
  let f = lam - flo;
  let qlo = level(u, u32(flo), zero);
  let qhi = level(u, u32(ceil(lam)), zero);
  return Frac(qlo, qhi, f * qhi + (1.0 - f) * qlo);
}
// END LEVELS

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) {
    return;
  }
  out[i] = level(u[i], params.k, params.zero);
}
