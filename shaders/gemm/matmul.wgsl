// Strided, batched GEMM: C[z] = beta·C[z] + bias[z] + Σ_{s < sumCount} A[z, s]·B[z, s].
// A is m×k, B is k×n, C is m×n with unit column stride. Every operand is addressed through
// strides, so transposed operands, broadcast batches (stride 0), conv's im2col matrices and the
// weight gradient's sum over the batch (sumCount) need no copies.
//   element (i, kk) of A[z, s] = a[aOffset + z1·aBatch1 + z2·aBatch2 + s·aSum + i·aRow + kk·aCol]
//   (B and bias alike; C has no sum stride), with z = z1·batch2 + z2 in [0, batchCount).
// Register-tiled without workgroup memory (fastest on lavapipe, see docs/DESIGN.md): each
// invocation computes a 4×4 block of C, a workgroup 8×8 invocations = a 32×32 tile. Row and
// column indices are clamped at the edges so loads stay in bounds; only valid results are stored.
// The workgroup grid is (column tiles, row tiles × batch folded over y and z).
//! binding: a read f32
//! binding: b read f32
//! binding: bias read f32
//! binding: c read_write f32
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
//! workgroup: 8 8 1

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let folded = wid.y + wid.z * nwg.y;
  let tileM = folded % params.tilesM;
  let z = folded / params.tilesM;
  let row0 = (tileM * WG_Y + lid.y) * 4u;
  let col0 = (wid.x * WG_X + lid.x) * 4u;
  if (z >= params.batchCount || row0 >= params.m || col0 >= params.n) {
    return;
  }
  let z1 = z / params.batch2;
  let z2 = z % params.batch2;
  let lastRow = params.m - 1u;
  let lastCol = params.n - 1u;
  let ar = vec4u(
    min(row0, lastRow) * params.aRow,
    min(row0 + 1u, lastRow) * params.aRow,
    min(row0 + 2u, lastRow) * params.aRow,
    min(row0 + 3u, lastRow) * params.aRow,
  );
  let bc = vec4u(
    min(col0, lastCol) * params.bCol,
    min(col0 + 1u, lastCol) * params.bCol,
    min(col0 + 2u, lastCol) * params.bCol,
    min(col0 + 3u, lastCol) * params.bCol,
  );
  let aBase = params.aOffset + z1 * params.aBatch1 + z2 * params.aBatch2;
  let bBase = params.bOffset + z1 * params.bBatch1 + z2 * params.bBatch2;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var s: u32 = 0u; s < params.sumCount; s = s + 1u) {
    var pa = aBase + s * params.aSum;
    var pb = bBase + s * params.bSum;
    for (var kk: u32 = 0u; kk < params.k; kk = kk + 1u) {
      let bv = vec4f(b[pb + bc.x], b[pb + bc.y], b[pb + bc.z], b[pb + bc.w]);
      acc0 = acc0 + a[pa + ar.x] * bv;
      acc1 = acc1 + a[pa + ar.y] * bv;
      acc2 = acc2 + a[pa + ar.z] * bv;
      acc3 = acc3 + a[pa + ar.w] * bv;
      pa = pa + params.aCol;
      pb = pb + params.bRow;
    }
  }
  var acc = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  let cBase = params.cOffset + z1 * params.cBatch1 + z2 * params.cBatch2;
  let biasBase = params.biasOffset + z1 * params.biasBatch1 + z2 * params.biasBatch2;
  for (var r: u32 = 0u; r < 4u; r = r + 1u) {
    let i = row0 + r;
    if (i >= params.m) {
      break;
    }
    for (var q: u32 = 0u; q < 4u; q = q + 1u) {
      let j = col0 + q;
      if (j >= params.n) {
        break;
      }
      var v = acc[r][q];
      if (params.hasBias != 0u) {
        v = v + bias[biasBase + i * params.biasRow + j * params.biasCol];
      }
      let idx = cBase + i * params.cRow + j;
      if (params.beta != 0.0) {
        v = v + params.beta * c[idx];
      }
      c[idx] = v;
    }
  }
}
