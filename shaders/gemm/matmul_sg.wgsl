// Strided, batched GEMM for devices with subgroups: the operation, params and results of
// gemm/matmul (see there) for operands whose A rows are contiguous (aCol = 1) and 16-byte aligned;
// gemm/matmul_sg_a takes any A. B is read through LOAD_B4/LOAD_B1 in one of two layouts (define
// B_LAYOUT in matmul-sg.ts): rows contiguous (bCol = 1, "NN") or columns contiguous (bRow = 1,
// "NT", e.g. a transposed weight). C rows are written as vec4: n, cRow and C offsets are
// multiples of 4 (gemmVariant in packages/kernels/src/gemm/matmul-sg.ts checks all of this).
//
// Why: on lavapipe every storage-buffer load runs a per-lane loop (8 lanes), so the number of
// loads, not the multiply-adds, bounds a GEMM. Here each load fetches a vec4, and the 8 lanes of a
// subgroup load A cooperatively — lane l holds A[i, k0 + 4l .. 4l + 3] for 32 consecutive k — and
// share it with subgroupShuffle (a register move) instead of each loading it again.
// A workgroup is one subgroup of 8 lanes; lane l owns the 4 columns 4·(8·tile + l) .. + 3 of an
// 8-row tile of C: 8 accumulators of vec4 (rows unrolled by hand below). Products are added in
// ascending k, one per step, exactly as gemm/matmul does, so both kernels give identical results.
//! binding: a read vec4f
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
  let aRow4 = params.aRow / 4u;
  let ar0 = aBase / 4u + min(row0 + 0u, lastRow) * aRow4;
  let ar1 = aBase / 4u + min(row0 + 1u, lastRow) * aRow4;
  let ar2 = aBase / 4u + min(row0 + 2u, lastRow) * aRow4;
  let ar3 = aBase / 4u + min(row0 + 3u, lastRow) * aRow4;
  let ar4 = aBase / 4u + min(row0 + 4u, lastRow) * aRow4;
  let ar5 = aBase / 4u + min(row0 + 5u, lastRow) * aRow4;
  let ar6 = aBase / 4u + min(row0 + 6u, lastRow) * aRow4;
  let ar7 = aBase / 4u + min(row0 + 7u, lastRow) * aRow4;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var s: u32 = 0u; s < params.sumCount; s = s + 1u) {
    let aS = s * (params.aSum / 4u);
    let pB = bBase + s * params.bSum;
    var k0: u32 = 0u;
    // Full chunks of 32 k: one vec4 of A per lane and row, shared through the subgroup.
    for (; k0 + 32u <= K; k0 = k0 + 32u) {
      let ak = aS + k0 / 4u + lane;
      let av0 = a[ar0 + ak];
      let av1 = a[ar1 + ak];
      let av2 = a[ar2 + ak];
      let av3 = a[ar3 + ak];
      let av4 = a[ar4 + ak];
      let av5 = a[ar5 + ak];
      let av6 = a[ar6 + ak];
      let av7 = a[ar7 + ak];
      for (var sl: u32 = 0u; sl < 8u; sl = sl + 1u) {
        let x0 = subgroupShuffle(av0, sl);
        let x1 = subgroupShuffle(av1, sl);
        let x2 = subgroupShuffle(av2, sl);
        let x3 = subgroupShuffle(av3, sl);
        let x4 = subgroupShuffle(av4, sl);
        let x5 = subgroupShuffle(av5, sl);
        let x6 = subgroupShuffle(av6, sl);
        let x7 = subgroupShuffle(av7, sl);
        let bq = loadB4(pB, k0 + sl * 4u);
        acc0 = acc0 + x0.x * bq[0];
        acc1 = acc1 + x1.x * bq[0];
        acc2 = acc2 + x2.x * bq[0];
        acc3 = acc3 + x3.x * bq[0];
        acc4 = acc4 + x4.x * bq[0];
        acc5 = acc5 + x5.x * bq[0];
        acc6 = acc6 + x6.x * bq[0];
        acc7 = acc7 + x7.x * bq[0];
        acc0 = acc0 + x0.y * bq[1];
        acc1 = acc1 + x1.y * bq[1];
        acc2 = acc2 + x2.y * bq[1];
        acc3 = acc3 + x3.y * bq[1];
        acc4 = acc4 + x4.y * bq[1];
        acc5 = acc5 + x5.y * bq[1];
        acc6 = acc6 + x6.y * bq[1];
        acc7 = acc7 + x7.y * bq[1];
        acc0 = acc0 + x0.z * bq[2];
        acc1 = acc1 + x1.z * bq[2];
        acc2 = acc2 + x2.z * bq[2];
        acc3 = acc3 + x3.z * bq[2];
        acc4 = acc4 + x4.z * bq[2];
        acc5 = acc5 + x5.z * bq[2];
        acc6 = acc6 + x6.z * bq[2];
        acc7 = acc7 + x7.z * bq[2];
        acc0 = acc0 + x0.w * bq[3];
        acc1 = acc1 + x1.w * bq[3];
        acc2 = acc2 + x2.w * bq[3];
        acc3 = acc3 + x3.w * bq[3];
        acc4 = acc4 + x4.w * bq[3];
        acc5 = acc5 + x5.w * bq[3];
        acc6 = acc6 + x6.w * bq[3];
        acc7 = acc7 + x7.w * bq[3];
      }
    }
    // The last k (fewer than 32): one step at a time, A's quad read from the lane that holds it.
    if (k0 < K) {
      let ak = aS + min(k0 / 4u + lane, (K - 1u) / 4u);
      let av0 = a[ar0 + ak];
      let av1 = a[ar1 + ak];
      let av2 = a[ar2 + ak];
      let av3 = a[ar3 + ak];
      let av4 = a[ar4 + ak];
      let av5 = a[ar5 + ak];
      let av6 = a[ar6 + ak];
      let av7 = a[ar7 + ak];
      for (var kk = k0; kk < K; kk = kk + 1u) {
        let src = (kk - k0) / 4u;
        let comp = (kk - k0) % 4u;
        let bv = loadB1(pB, kk);
        acc0 = acc0 + subgroupShuffle(av0, src)[comp] * bv;
        acc1 = acc1 + subgroupShuffle(av1, src)[comp] * bv;
        acc2 = acc2 + subgroupShuffle(av2, src)[comp] * bv;
        acc3 = acc3 + subgroupShuffle(av3, src)[comp] * bv;
        acc4 = acc4 + subgroupShuffle(av4, src)[comp] * bv;
        acc5 = acc5 + subgroupShuffle(av5, src)[comp] * bv;
        acc6 = acc6 + subgroupShuffle(av6, src)[comp] * bv;
        acc7 = acc7 + subgroupShuffle(av7, src)[comp] * bv;
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
