// Strided, batched GEMM for devices with subgroups: the same operation, params and results as
// gemm/matmul (see there), restricted to operands whose rows are contiguous and 16-byte aligned:
// A with aCol = 1, B and C with unit column stride, every offset, row and batch stride a multiple
// of 4 and n a multiple of 4 (gemmVariant in packages/kernels/src/gemm/matmul-sg.ts checks this).
//
// Why: on lavapipe every storage-buffer load runs a per-lane loop (8 lanes), so the load count,
// not the multiply-adds, bounds a GEMM. Here each load fetches a vec4, and the 8 lanes of a
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
  let aRow4 = params.aRow / 4u;
  let bRow4 = params.bRow / 4u;
  let aBase = (params.aOffset + z1 * params.aBatch1 + z2 * params.aBatch2) / 4u;
  let bBase = (params.bOffset + z1 * params.bBatch1 + z2 * params.bBatch2) / 4u + colc;
  let ar0 = aBase + min(row0 + 0u, lastRow) * aRow4;
  let ar1 = aBase + min(row0 + 1u, lastRow) * aRow4;
  let ar2 = aBase + min(row0 + 2u, lastRow) * aRow4;
  let ar3 = aBase + min(row0 + 3u, lastRow) * aRow4;
  let ar4 = aBase + min(row0 + 4u, lastRow) * aRow4;
  let ar5 = aBase + min(row0 + 5u, lastRow) * aRow4;
  let ar6 = aBase + min(row0 + 6u, lastRow) * aRow4;
  let ar7 = aBase + min(row0 + 7u, lastRow) * aRow4;
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
    let bS = bBase + s * (params.bSum / 4u);
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
        let kb = k0 + sl * 4u;
        let b0 = b[bS + kb * bRow4];
        let b1 = b[bS + (kb + 1u) * bRow4];
        let b2 = b[bS + (kb + 2u) * bRow4];
        let b3 = b[bS + (kb + 3u) * bRow4];
        acc0 = acc0 + x0.x * b0;
        acc1 = acc1 + x1.x * b0;
        acc2 = acc2 + x2.x * b0;
        acc3 = acc3 + x3.x * b0;
        acc4 = acc4 + x4.x * b0;
        acc5 = acc5 + x5.x * b0;
        acc6 = acc6 + x6.x * b0;
        acc7 = acc7 + x7.x * b0;
        acc0 = acc0 + x0.y * b1;
        acc1 = acc1 + x1.y * b1;
        acc2 = acc2 + x2.y * b1;
        acc3 = acc3 + x3.y * b1;
        acc4 = acc4 + x4.y * b1;
        acc5 = acc5 + x5.y * b1;
        acc6 = acc6 + x6.y * b1;
        acc7 = acc7 + x7.y * b1;
        acc0 = acc0 + x0.z * b2;
        acc1 = acc1 + x1.z * b2;
        acc2 = acc2 + x2.z * b2;
        acc3 = acc3 + x3.z * b2;
        acc4 = acc4 + x4.z * b2;
        acc5 = acc5 + x5.z * b2;
        acc6 = acc6 + x6.z * b2;
        acc7 = acc7 + x7.z * b2;
        acc0 = acc0 + x0.w * b3;
        acc1 = acc1 + x1.w * b3;
        acc2 = acc2 + x2.w * b3;
        acc3 = acc3 + x3.w * b3;
        acc4 = acc4 + x4.w * b3;
        acc5 = acc5 + x5.w * b3;
        acc6 = acc6 + x6.w * b3;
        acc7 = acc7 + x7.w * b3;
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
        let bv = b[bS + kk * bRow4];
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
