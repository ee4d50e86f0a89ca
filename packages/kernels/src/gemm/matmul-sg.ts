/**
 * The subgroup GEMM variants of `gemmKernel` (shaders/gemm/matmul_sg*.wgsl): same bindings,
 * params and results, far fewer loads on lavapipe. `gemmVariant` (gemmKernel.variant) picks one
 * per launch from the device's features and the operands' layout; `setGemmVariant` forces it.
 */
import {
  type Defines,
  defineKernel,
  type KernelDescriptor,
  type KernelDevice,
  MAX_WORKGROUPS_PER_DIM,
  type Params,
  type ShaderSource,
} from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { gemmKernel } from './matmul.js';

/** Rows and columns of C one workgroup (one subgroup of 8 lanes) computes. */
export const GEMM_SG_TILE_M = 8;
export const GEMM_SG_TILE_N = 32;

/**
 * Pseudo-feature a backend reports when subgroups have at least 8 invocations, so that the 8
 * lanes of a gemm/matmul_sg workgroup share one subgroup.
 */
export const SUBGROUPS_OF_8 = 'subgroups-min-size-8';

/** How B is laid out: rows contiguous (bCol = 1) or columns contiguous (bRow = 1, a Bᵀ in memory). */
export type GemmBLayout = 'rows' | 'cols';

/** WGSL bodies of loadB4 (rows k..k+3 of B as the columns of a mat4x4f) and loadB1 (row k). */
const B_LOADS: Record<GemmBLayout, { LOAD_B4: string; LOAD_B1: string }> = {
  rows: {
    LOAD_B4:
      'let r = params.bRow; return mat4x4f(b[(p + k * r) / 4u], b[(p + (k + 1u) * r) / 4u], b[(p + (k + 2u) * r) / 4u], b[(p + (k + 3u) * r) / 4u]);',
    LOAD_B1: 'return b[(p + k * params.bRow) / 4u];',
  },
  cols: {
    // Four column quads along k, transposed into four rows over the lane's 4 columns.
    LOAD_B4:
      'let c = params.bCol; return transpose(mat4x4f(b[(p + k) / 4u], b[(p + c + k) / 4u], b[(p + 2u * c + k) / 4u], b[(p + 3u * c + k) / 4u]));',
    LOAD_B1:
      'let c = params.bCol; let q = k % 4u; return vec4f(b[(p + k) / 4u][q], b[(p + c + k) / 4u][q], b[(p + 2u * c + k) / 4u][q], b[(p + 3u * c + k) / 4u][q]);',
  },
};

function dispatch(p: Params): [number, number, number] {
  const tilesN = Math.max(1, Math.ceil(p.n / GEMM_SG_TILE_N));
  if (tilesN > MAX_WORKGROUPS_PER_DIM) {
    throw new Error(
      `gemm/matmul_sg: n = ${p.n} needs ${tilesN} column tiles, more than ${MAX_WORKGROUPS_PER_DIM}`,
    );
  }
  // Row tiles of 8 (the shaders derive their count from m, not from params.tilesM).
  const rest = Math.max(1, Math.ceil(p.m / GEMM_SG_TILE_M) * p.batchCount);
  const z = Math.ceil(rest / MAX_WORKGROUPS_PER_DIM);
  return [tilesN, Math.ceil(rest / z), z];
}

function variantKernel(shader: ShaderSource, layout: GemmBLayout): KernelDescriptor {
  return defineKernel(shader, {
    specialize: () => B_LOADS[layout],
    dispatch,
    // The same product as gemmKernel, so the same CPU twin.
    cpu: (buffers, params, defines) => gemmKernel.cpu(buffers, params, defines),
  });
}

/** A with contiguous, 16-byte aligned rows (vec4 loads along k); B rows or columns contiguous. */
export const gemmSubgroupKernels: Readonly<Record<GemmBLayout, KernelDescriptor>> = {
  rows: variantKernel(shaderSources['gemm/matmul_sg'], 'rows'),
  cols: variantKernel(shaderSources['gemm/matmul_sg'], 'cols'),
};

/** Any A strides (e.g. a transposed A); B rows or columns contiguous. */
export const gemmSubgroupStridedKernels: Readonly<Record<GemmBLayout, KernelDescriptor>> = {
  rows: variantKernel(shaderSources['gemm/matmul_sg_a'], 'rows'),
  cols: variantKernel(shaderSources['gemm/matmul_sg_a'], 'cols'),
};

const aligned = (...values: number[]) => values.every((v) => v % 4 === 0);

/**
 * Which subgroup kernel can run a `gemmKernel` launch with these params, or null: C and B need
 * 16-byte aligned rows (n, strides and offsets multiples of 4) and B one contiguous direction.
 */
export function gemmSubgroupKernelFor(p: Params): KernelDescriptor | null {
  const tiles = Math.max(1, Math.ceil(p.m / GEMM_SG_TILE_M)) * p.batchCount;
  if (tiles > MAX_WORKGROUPS_PER_DIM * MAX_WORKGROUPS_PER_DIM) return null;
  if (!aligned(p.n, p.cRow, p.cOffset, p.cBatch1, p.cBatch2, p.bOffset, p.bBatch1, p.bBatch2, p.bSum))
    return null;
  const layout: GemmBLayout | null =
    p.bCol === 1 && aligned(p.bRow) ? 'rows' : p.bRow === 1 && aligned(p.bCol) ? 'cols' : null;
  if (layout === null) return null;
  const vecA = p.aCol === 1 && aligned(p.aRow, p.aOffset, p.aBatch1, p.aBatch2, p.aSum);
  return (vecA ? gemmSubgroupKernels : gemmSubgroupStridedKernels)[layout];
}

/** Whether some subgroup kernel can run this launch. */
export function gemmSubgroupEligible(p: Params): boolean {
  return gemmSubgroupKernelFor(p) !== null;
}

export type GemmVariantChoice = 'auto' | 'plain' | 'subgroup';

function envChoice(): GemmVariantChoice {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.FRACBITS_GEMM;
  return v === 'plain' || v === 'subgroup' ? v : 'auto';
}

let choice: GemmVariantChoice = envChoice();

/**
 * Forces the GEMM variant: 'plain' always runs gemm/matmul; 'subgroup' and 'auto' (default, or
 * the environment variable FRACBITS_GEMM) run a gemm/matmul_sg kernel wherever the device and
 * the operands allow it. Returns the previous choice (tests restore it).
 */
export function setGemmVariant(next: GemmVariantChoice): GemmVariantChoice {
  const prev = choice;
  choice = next;
  return prev;
}

/** `gemmKernel.variant`: the kernel a device should run for this launch. */
export function gemmVariant(params: Params, _defines: Defines, device: KernelDevice): KernelDescriptor {
  if (choice === 'plain' || !device.hasFeature('subgroups') || !device.hasFeature(SUBGROUPS_OF_8))
    return gemmKernel;
  return gemmSubgroupKernelFor(params) ?? gemmKernel;
}
