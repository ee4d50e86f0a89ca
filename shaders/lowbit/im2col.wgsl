// Activation quantization + im2col for the low-bit GEMMs, float output (the operand of
// lowbit/gemm_float). x is [n, c, h, w] float32; the result is one row per (sample, output
// position), row = s·ho·wo + oy·wo + ox, made of `groups` segments of kWords·4 elements (the
// group's k = cg·kh·kw taps, then zeros up to a multiple of 4), tap k = (c'·kh + ky)·kw + kx of
// group g reading channel g·cg + c'. Padding reads 0. With QUANT the element is the PACT code
// q = round(clamp(v, 0, α) / α · levels) as a float (levels = 2^bits − 1; FRACBITS.md §2), else
// the value itself (float-input layers, e.g. the first conv). A linear layer is the 1×1 case
// with c = features, h = w = 1. One invocation per element.
//! binding: x read f32
//! binding: col read_write f32
//! param: n u32
//! param: c u32
//! param: h u32
//! param: w u32
//! param: kh u32
//! param: kw u32
//! param: sh u32
//! param: sw u32
//! param: ph u32
//! param: pw u32
//! param: dh u32
//! param: dw u32
//! param: ho u32
//! param: wo u32
//! param: groups u32
//! param: cg u32
//! param: kWords u32
//! param: alpha f32
//! param: levels f32
//! workgroup: 256 1 1
//! define: QUANT = true

const QUANT: bool = {{QUANT}};

// BEGIN GATHER
// Element k of group g's segment for output position `pos` of sample s: the input value under
// that tap, 0 in the padding and past the group's taps.
fn gather(s: u32, pos: u32, g: u32, k: u32) -> f32 {
  let taps = params.kh * params.kw;
  if (k >= params.cg * taps) {
    return 0.0;
  }
  let ch = g * params.cg + k / taps;
  let tap = k % taps;
  let iy = i32((pos / params.wo) * params.sh + (tap / params.kw) * params.dh) - i32(params.ph);
  let ix = i32((pos % params.wo) * params.sw + (tap % params.kw) * params.dw) - i32(params.pw);
  if (iy < 0 || iy >= i32(params.h) || ix < 0 || ix >= i32(params.w)) {
    return 0.0;
  }
  return x[((s * params.c + ch) * params.h + u32(iy)) * params.w + u32(ix)];
}

// The PACT code of v: round-half-to-even of clamp(v, 0, α) / α · levels (as the training
// quantizer computes it: the quotient, then the product, each rounded to float32).
fn act_code(v: f32) -> u32 {
  return u32(round(clamp(v, 0.0, params.alpha) / params.alpha * params.levels));
}
// END GATHER

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  let segment = params.kWords * 4u;
  let positions = params.ho * params.wo;
  if (i >= params.n * positions * params.groups * segment) {
    return;
  }
  let k = i % segment;
  let g = (i / segment) % params.groups;
  let row = i / (segment * params.groups);
  let v = gather(row / positions, row % positions, g, k);
  if (QUANT) {
    col[i] = f32(act_code(v));
  } else {
    col[i] = v;
  }
}
