// Activation quantization + im2col for lowbit/gemm_dot4: the layout of lowbit/im2col (rows of
// `groups` segments, see there) with the PACT codes packed four to a word, tap 4t + j of a
// segment in byte j of its word t (the operand layout of dot4U8Packed); a segment is kWords =
// ceil(cg·kh·kw / 4) words, zero codes past its taps. Codes are 0..levels ≤ 255 (bits ≤ 8).
// One invocation per (row, group) segment.
//! binding: x read f32
//! binding: col read_write u32
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
//! define: GATHER = // (spliced from lowbit/im2col.wgsl)

{{GATHER}}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= work_items()) {
    return;
  }
  var taps = taps_of(i);
  let out = i * params.kWords;
  for (var t = 0u; t < params.kWords; t = t + 1u) {
    var word = act_code(next_tap(&taps));
    word = word | (act_code(next_tap(&taps)) << 8u);
    word = word | (act_code(next_tap(&taps)) << 16u);
    col[out + t] = word | (act_code(next_tap(&taps)) << 24u);
  }
}
