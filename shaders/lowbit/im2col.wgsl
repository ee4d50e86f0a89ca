// Activation quantization + im2col for the low-bit GEMMs, float output (the operand of
// lowbit/gemm_float). x is [n, c, h, w] float32; the result is one row per (sample, output
// position), row = s·ho·wo + oy·wo + ox, made of `groups` segments of kWords·4 elements (the
// group's k = cg·kh·kw taps, then zeros up to a multiple of 4), tap k = (c'·kh + ky)·kw + kx of
// group g reading channel g·cg + c'. Padding reads 0. With QUANT the element is the PACT code
// q = round(clamp(v, 0, α) / α · levels) as a float (levels = 2^bits − 1; FRACBITS.md §2), else
// the value itself (float-input layers, e.g. the first conv). A linear layer is the 1×1 case
// with c = features, h = w = 1. One invocation per (row, group) segment.
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
//! workgroup: 64 1 1
//! define: QUANT = true

const QUANT: bool = {{QUANT}};

// BEGIN GATHER
// Walks the taps of one group's segment for one output position, in segment order (c', ky, kx),
// with counters instead of divisions (integer division is slow on CPU-backed adapters): `base`
// is the group's first input plane of the sample, (y0, x0) the window's top-left corner.
struct Taps {
  base: u32,
  y0: i32,
  x0: i32,
  ci: u32,
  ky: u32,
  kx: u32,
}

// The walker of work item i = (sample·positions + position)·groups + group.
fn taps_of(i: u32) -> Taps {
  let g = i % params.groups;
  let row = i / params.groups;
  let positions = params.ho * params.wo;
  let pos = row % positions;
  var t: Taps;
  t.base = ((row / positions) * params.c + g * params.cg) * params.h * params.w;
  t.y0 = i32((pos / params.wo) * params.sh) - i32(params.ph);
  t.x0 = i32((pos % params.wo) * params.sw) - i32(params.pw);
  return t;
}

// The input value under the next tap (0 in the padding and past the group's taps), advancing.
fn next_tap(t: ptr<function, Taps>) -> f32 {
  if ((*t).ci >= params.cg) {
    return 0.0;
  }
  let iy = (*t).y0 + i32((*t).ky * params.dh);
  let ix = (*t).x0 + i32((*t).kx * params.dw);
  var v = 0.0;
  if (iy >= 0 && iy < i32(params.h) && ix >= 0 && ix < i32(params.w)) {
    v = x[(*t).base + ((*t).ci * params.h + u32(iy)) * params.w + u32(ix)];
  }
  (*t).kx = (*t).kx + 1u;
  if ((*t).kx == params.kw) {
    (*t).kx = 0u;
    (*t).ky = (*t).ky + 1u;
    if ((*t).ky == params.kh) {
      (*t).ky = 0u;
      (*t).ci = (*t).ci + 1u;
    }
  }
  return v;
}

// Work items: one per (sample, output position, group).
fn work_items() -> u32 {
  return params.n * params.ho * params.wo * params.groups;
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
  if (i >= work_items()) {
    return;
  }
  var taps = taps_of(i);
  let segment = params.kWords * 4u;
  let out = i * segment;
  for (var k = 0u; k < segment; k = k + 1u) {
    let v = next_tap(&taps);
    if (QUANT) {
      col[out + k] = f32(act_code(v));
    } else {
      col[out + k] = v;
    }
  }
}
