// Packs low-bit codes into word-aligned rows of a little-endian bitstream (the inverse of
// lowbit/unpack): row r holds codes[r·k .. r·k + k) at b = rowInfo[2r + 1] bits each, starting
// at bit rowInfo[2r] (a multiple of 32: each invocation owns one word), padded with zero bits to
// a whole number of words, ceil(k·b / 32). Codes are
// masked to b bits. One invocation per (row, word), over rows × maxRowWords; invocations past
// their row's last word do nothing.
//! binding: codes read u32
//! binding: rowInfo read u32
//! binding: w read_write u32
//! param: rows u32
//! param: k u32
//! param: maxRowWords u32
//! workgroup: 256 1 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.rows * params.maxRowWords) {
    return;
  }
  let r = i / params.maxRowWords;
  let t = i % params.maxRowWords;
  let b = rowInfo[2u * r + 1u];
  if (t * 32u >= params.k * b) {
    return;
  }
  let m = (1u << b) - 1u;
  let first = (t * 32u) / b;
  let last = min((t * 32u + 31u) / b, params.k - 1u);
  var word = 0u;
  for (var j = first; j <= last; j = j + 1u) {
    let code = codes[r * params.k + j] & m;
    let bit = j * b;
    // A code that starts in the previous word contributes its high bits here.
    word = word | select(code << (bit - t * 32u), code >> (t * 32u - bit), bit < t * 32u);
  }
  w[rowInfo[2u * r] / 32u + t] = word;
}
