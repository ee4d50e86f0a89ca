// Low-bit GEMM / conv, float-dequant variant (for adapters without packed_4x8_integer_dot_product,
// and for float-input layers). For activation row r (a sample's output position, see
// lowbit/im2col) and output channel o of group g:
//   acc[r, o] = Σ_k (2·j[o, k] − L_o) · x[r, g, k],   L_o = 2^b_o − 1,
// with j the b_o-bit weight codes of row o of `w` (rowInfo[2o] = first bit, rowInfo[2o + 1] =
// b_o, 0..8; see lowbit/unpack) and x the float operand from lowbit/im2col. Codes become exact
// float integers; products are summed in float32 chunks of CHUNK words (4·CHUNK products).
// INT_ACC (x holds integer activation codes ≤ 255): every chunk sum is exact (< 2^24) and is
// added to an i32 total, so the accumulator is the exact integer Σ (2j − L)·q. Otherwise (float
// activations) chunk sums are added in float32, in the order of the CPU twin.
// Output y[(s·channels + o)·positions + pos] = acc·epi[2o] + epi[2o + 1] (then ReLU if relu),
// epi holding each channel's dequantization multiplier and bias; with ACC_OUT the raw i32
// accumulator bits instead. Each invocation computes TM rows × TO channels of one group.
//! binding: w read u32
//! binding: rowInfo read u32
//! binding: x read f32
//! binding: epi read f32
//! binding: y read_write f32
//! param: rows u32
//! param: channels u32
//! param: positions u32
//! param: kWords u32
//! param: rowWords u32
//! param: perGroup u32
//! param: tilesPerGroup u32
//! param: tileCount u32
//! param: relu u32
//! workgroup: WG_O WG_R 1
//! define: TM = 4
//! define: TO = 4
//! define: WG_O = 8
//! define: WG_R = 8
//! define: INT_ACC = true
//! define: ACC_OUT = false
//! define: GROUPED = true
//! define: BITS = // (spliced from lowbit/unpack.wgsl)

{{BITS}}

const TM: u32 = {{TM}}u;
const TO: u32 = {{TO}}u;
const ACC_OUT: bool = {{ACC_OUT}};
// false when groups = 1: the group (and so the activation address) is then known to be uniform.
const GROUPED: bool = {{GROUPED}};
const INT_ACC: bool = {{INT_ACC}};
// Words per float chunk: 4·64 = 256 products of magnitude ≤ 255² sum to less than 2^24.
const CHUNK: u32 = 64u;

// BEGIN TILE
// (Shared with lowbit/gemm_dot4, which declares the same bindings, params, TM, TO and ACC_OUT.)

// What one invocation computes: activation rows [r0, r0 + TM) × channels [o0, o0 + count) of
// one group (channels past the group's end repeat its last channel and are not stored).
struct Tile {
  valid: bool,
  r0: u32,
  o0: u32,
  count: u32,
  segment: u32,
  base: array<u32, TO>,
  bits: array<u32, TO>,
}

fn tile_of(wid: vec3u, lid: vec3u, nwg: vec3u) -> Tile {
  var t: Tile;
  let ct = wid.x * WG_X + lid.x;
  t.r0 = ((wid.y + wid.z * nwg.y) * WG_Y + lid.y) * TM;
  t.valid = ct < params.tileCount && t.r0 < params.rows;
  if (!t.valid) {
    return t;
  }
  let g = select(0u, ct / params.tilesPerGroup, GROUPED);
  let first = (ct % params.tilesPerGroup) * TO;
  t.o0 = g * params.perGroup + first;
  t.count = min(TO, params.perGroup - first);
  t.segment = g * params.kWords;
  for (var c = 0u; c < TO; c = c + 1u) {
    let o = t.o0 + min(c, t.count - 1u);
    t.base[c] = rowInfo[2u * o];
    t.bits[c] = rowInfo[2u * o + 1u];
  }
  return t;
}

// Word offset of activation row r0 + r's segment (rows past the end repeat the last row).
fn row_base(t: Tile, r: u32) -> u32 {
  return min(t.r0 + r, params.rows - 1u) * params.rowWords + t.segment;
}

// Output (row, o) at y[(s·channels + o)·positions + pos]: NCHW for a conv, [n, channels] for a
// linear layer. `raw` (the i32 accumulator's bits) is stored instead when ACC_OUT.
fn store(row: u32, o: u32, acc: f32, raw: u32) {
  let idx = ((row / params.positions) * params.channels + o) * params.positions + row % params.positions;
  if (ACC_OUT) {
    y[idx] = bitcast<f32>(raw);
    return;
  }
  var v = acc * epi[2u * o] + epi[2u * o + 1u];
  if (params.relu != 0u) {
    v = max(v, 0.0);
  }
  y[idx] = v;
}
// END TILE

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let tile = tile_of(wid, lid, nwg);
  if (!tile.valid) {
    return;
  }
  var xr: array<u32, TM>;
  for (var r = 0u; r < TM; r = r + 1u) {
    xr[r] = row_base(tile, r) * 4u;
  }
  var total: array<array<f32, TO>, TM>;
  var itotal: array<array<i32, TO>, TM>;
  for (var t0 = 0u; t0 < params.kWords; t0 = t0 + CHUNK) {
    // Explicitly zeroed: a loop-body var without initializer was not reset on lavapipe.
    var part = array<array<f32, TO>, TM>();
    let t1 = min(t0 + CHUNK, params.kWords);
    for (var t = t0; t < t1; t = t + 1u) {
      var wf: array<vec4f, TO>;
      for (var c = 0u; c < TO; c = c + 1u) {
        let b = tile.bits[c];
        let m = code_mask(b);
        let v = bit_window(tile.base[c] + 4u * t * b);
        let j = vec4f(f32(v & m), f32((v >> b) & m), f32((v >> (2u * b)) & m), f32((v >> (3u * b)) & m));
        wf[c] = 2.0 * j - f32(m);
      }
      for (var r = 0u; r < TM; r = r + 1u) {
        let p = xr[r] + 4u * t;
        let xv = vec4f(x[p], x[p + 1u], x[p + 2u], x[p + 3u]);
        for (var c = 0u; c < TO; c = c + 1u) {
          var a = part[r][c];
          a = a + wf[c].x * xv.x;
          a = a + wf[c].y * xv.y;
          a = a + wf[c].z * xv.z;
          a = a + wf[c].w * xv.w;
          part[r][c] = a;
        }
      }
    }
    for (var r = 0u; r < TM; r = r + 1u) {
      for (var c = 0u; c < TO; c = c + 1u) {
        if (INT_ACC) {
          itotal[r][c] = itotal[r][c] + i32(part[r][c]);
        } else {
          total[r][c] = total[r][c] + part[r][c];
        }
      }
    }
  }
  for (var r = 0u; r < TM; r = r + 1u) {
    let row = tile.r0 + r;
    if (row >= params.rows) {
      break;
    }
    for (var c = 0u; c < tile.count; c = c + 1u) {
      if (INT_ACC) {
        store(row, tile.o0 + c, f32(itotal[r][c]), bitcast<u32>(itotal[r][c]));
      } else {
        store(row, tile.o0 + c, total[r][c], bitcast<u32>(i32(total[r][c])));
      }
    }
  }
}
