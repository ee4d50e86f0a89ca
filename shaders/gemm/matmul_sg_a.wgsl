// gemm/matmul_sg for any A strides (a transposed A, unaligned rows): the 8 lanes of a subgroup
// load A cooperatively one element each — lane l holds A[i, k0 + l] for the 8 rows of the tile —
// and share it with subgroupShuffle; B and C as in gemm/matmul_sg (see there). Twice the loads of
// gemm/matmul_sg per product, still far fewer than gemm/matmul on lavapipe.
//! binding: a read f32
//! binding: b read vec4f
//! binding: bias read f32
//! binding: c read_write vec4f
//! param: m u32
//! param: n u32
//! param: k u32
//! param: sumCount u32
//! param: batch2 u32
//! param: batchCount u32
//! param: tilesM u32
//! param: aOffset u32
//! param: aRow u32
//! param: aCol u32
//! param: aBatch1 u32
//! param: aBatch2 u32
//! param: aSum u32
//! param: bOffset u32
//! param: bRow u32
//! param: bCol u32
//! param: bBatch1 u32
//! param: bBatch2 u32
//! param: bSum u32
//! param: cOffset u32
//! param: cRow u32
//! param: cBatch1 u32
//! param: cBatch2 u32
//! param: hasBias u32
//! param: biasOffset u32
//! param: biasRow u32
//! param: biasCol u32
//! param: biasBatch1 u32
//! param: biasBatch2 u32
//! param: beta f32
//! workgroup: 8 1 1
//! feature: subgroups
//! define: LOAD_B4 = return mat4x4f();
//! define: LOAD_B1 = return vec4f();

// Rows k .. k + 3 of B over this lane's 4 columns (p: element offset of B[0, j0]; k % 4 = 0).
fn loadB4(p: u32, k: u32) -> mat4x4f {
  {{LOAD_B4}}
}

// Row k of B over this lane's 4 columns.
fn loadB1(p: u32, k: u32) -> vec4f {
  {{LOAD_B1}}
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // Row tiles of 8 (params.tilesM counts gemm/matmul's tiles of 32, so it is not used here).
  let tilesM = max((params.m + 7u) / 8u, 1u);
  let folded = wid.y + wid.z * nwg.y;
  let tileM = folded % tilesM;
  let z = folded / tilesM;
  // Uniform across the workgroup: every lane returns or none does (the shuffles need them all).
  if (z >= params.batchCount) {
    return;
  }
  let lane = lid.x;
  let z1 = z / params.batch2;
  let z2 = z % params.batch2;
  let row0 = tileM * 8u;
  let n4 = params.n / 4u;
  let col4 = wid.x * 8u + lane;
  // Lanes past the last column still load (clamped) and shuffle; they only skip the store.
  let colc = min(col4, max(n4, 1u) - 1u);
  let lastRow = max(params.m, 1u) - 1u;
  let K = params.k;
  let aBase = params.aOffset + z1 * params.aBatch1 + z2 * params.aBatch2;
  let bBase = params.bOffset + z1 * params.bBatch1 + z2 * params.bBatch2 + 4u * colc * params.bCol;
  let ar0 = aBase + min(row0 + 0u, lastRow) * params.aRow;
  let ar1 = aBase + min(row0 + 1u, lastRow) * params.aRow;
  let ar2 = aBase + min(row0 + 2u, lastRow) * params.aRow;
  let ar3 = aBase + min(row0 + 3u, lastRow) * params.aRow;
  let ar4 = aBase + min(row0 + 4u, lastRow) * params.aRow;
  let ar5 = aBase + min(row0 + 5u, lastRow) * params.aRow;
  let ar6 = aBase + min(row0 + 6u, lastRow) * params.aRow;
  let ar7 = aBase + min(row0 + 7u, lastRow) * params.aRow;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var s: u32 = 0u; s < params.sumCount; s = s + 1u) {
    let aS = s * params.aSum;
    let pB = bBase + s * params.bSum;
    var k0: u32 = 0u;
    // Full chunks of 8 k: one element of A per lane and row, shared through the subgroup.
    for (; k0 + 8u <= K; k0 = k0 + 8u) {
      let ak = aS + (k0 + lane) * params.aCol;
      let av0 = a[ar0 + ak];
      let av1 = a[ar1 + ak];
      let av2 = a[ar2 + ak];
      let av3 = a[ar3 + ak];
      let av4 = a[ar4 + ak];
      let av5 = a[ar5 + ak];
      let av6 = a[ar6 + ak];
      let av7 = a[ar7 + ak];
      for (var h: u32 = 0u; h < 2u; h = h + 1u) {
        let bq = loadB4(pB, k0 + h * 4u);
        acc0 = acc0 + subgroupShuffle(av0, h * 4u + 0u) * bq[0];
        acc1 = acc1 + subgroupShuffle(av1, h * 4u + 0u) * bq[0];
        acc2 = acc2 + subgroupShuffle(av2, h * 4u + 0u) * bq[0];
        acc3 = acc3 + subgroupShuffle(av3, h * 4u + 0u) * bq[0];
        acc4 = acc4 + subgroupShuffle(av4, h * 4u + 0u) * bq[0];
        acc5 = acc5 + subgroupShuffle(av5, h * 4u + 0u) * bq[0];
        acc6 = acc6 + subgroupShuffle(av6, h * 4u + 0u) * bq[0];
        acc7 = acc7 + subgroupShuffle(av7, h * 4u + 0u) * bq[0];
        acc0 = acc0 + subgroupShuffle(av0, h * 4u + 1u) * bq[1];
        acc1 = acc1 + subgroupShuffle(av1, h * 4u + 1u) * bq[1];
        acc2 = acc2 + subgroupShuffle(av2, h * 4u + 1u) * bq[1];
        acc3 = acc3 + subgroupShuffle(av3, h * 4u + 1u) * bq[1];
        acc4 = acc4 + subgroupShuffle(av4, h * 4u + 1u) * bq[1];
        acc5 = acc5 + subgroupShuffle(av5, h * 4u + 1u) * bq[1];
        acc6 = acc6 + subgroupShuffle(av6, h * 4u + 1u) * bq[1];
        acc7 = acc7 + subgroupShuffle(av7, h * 4u + 1u) * bq[1];
        acc0 = acc0 + subgroupShuffle(av0, h * 4u + 2u) * bq[2];
        acc1 = acc1 + subgroupShuffle(av1, h * 4u + 2u) * bq[2];
        acc2 = acc2 + subgroupShuffle(av2, h * 4u + 2u) * bq[2];
        acc3 = acc3 + subgroupShuffle(av3, h * 4u + 2u) * bq[2];
        acc4 = acc4 + subgroupShuffle(av4, h * 4u + 2u) * bq[2];
        acc5 = acc5 + subgroupShuffle(av5, h * 4u + 2u) * bq[2];
        acc6 = acc6 + subgroupShuffle(av6, h * 4u + 2u) * bq[2];
        acc7 = acc7 + subgroupShuffle(av7, h * 4u + 2u) * bq[2];
        acc0 = acc0 + subgroupShuffle(av0, h * 4u + 3u) * bq[3];
        acc1 = acc1 + subgroupShuffle(av1, h * 4u + 3u) * bq[3];
        acc2 = acc2 + subgroupShuffle(av2, h * 4u + 3u) * bq[3];
        acc3 = acc3 + subgroupShuffle(av3, h * 4u + 3u) * bq[3];
        acc4 = acc4 + subgroupShuffle(av4, h * 4u + 3u) * bq[3];
        acc5 = acc5 + subgroupShuffle(av5, h * 4u + 3u) * bq[3];
        acc6 = acc6 + subgroupShuffle(av6, h * 4u + 3u) * bq[3];
        acc7 = acc7 + subgroupShuffle(av7, h * 4u + 3u) * bq[3];
      }
    }
    // The last k (fewer than 8): one step at a time.
    if (k0 < K) {
      let ak = aS + min(k0 + lane, K - 1u) * params.aCol;
      let av0 = a[ar0 + ak];
      let av1 = a[ar1 + ak];
      let av2 = a[ar2 + ak];
      let av3 = a[ar3 + ak];
      let av4 = a[ar4 + ak];
      let av5 = a[ar5 + ak];
      let av6 = a[ar6 + ak];
      let av7 = a[ar7 + ak];
      for (var kk = k0; kk < K; kk = kk + 1u) {
        let bv = loadB1(pB, kk);
        acc0 = acc0 + subgroupShuffle(av0, kk - k0) * bv;
        acc1 = acc1 + subgroupShuffle(av1, kk - k0) * bv;
        acc2 = acc2 + subgroupShuffle(av2, kk - k0) * bv;
        acc3 = acc3 + subgroupShuffle(av3, kk - k0) * bv;
        acc4 = acc4 + subgroupShuffle(av4, kk - k0) * bv;
        acc5 = acc5 + subgroupShuffle(av5, kk - k0) * bv;
        acc6 = acc6 + subgroupShuffle(av6, kk - k0) * bv;
        acc7 = acc7 + subgroupShuffle(av7, kk - k0) * bv;
      }
    }
  }
  if (col4 >= n4) {
    return;
  }
  let acc = array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7);
  let cBase = params.cOffset + z1 * params.cBatch1 + z2 * params.cBatch2;
  let biasBase = params.biasOffset + z1 * params.biasBatch1 + z2 * params.biasBatch2;
  let j = col4 * 4u;
  for (var r: u32 = 0u; r < 8u; r = r + 1u) {
    let i = row0 + r;
    if (i >= params.m) {
      break;
    }
    var v = acc[r];
    if (params.hasBias != 0u) {
      let bb = biasBase + i * params.biasRow;
      let bc = params.biasCol;
      v = v + vec4f(bias[bb + j * bc], bias[bb + (j + 1u) * bc], bias[bb + (j + 2u) * bc], bias[bb + (j + 3u) * bc]);
    }
    let idx = (cBase + i * params.cRow) / 4u + col4;
    if (params.beta != 0.0) {
      v = v + params.beta * c[idx];
    }
    c[idx] = v;
  }
}
