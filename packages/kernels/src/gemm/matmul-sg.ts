/**
 * gemm/matmul_sg: the subgroup GEMM variant (see shaders/gemm/matmul_sg.wgsl). Same bindings,
 * params and results as `gemmKernel`; `gemmVariant` picks it for launches it can run.
 */
import {
  type Defines,
  defineKernel,
  type KernelDescriptor,
  type KernelDevice,
  MAX_WORKGROUPS_PER_DIM,
  type Params,
} from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { gemmKernel } from './matmul.js';

/** Rows and columns of C one workgroup (one subgroup of 8 lanes) computes. */
export const GEMM_SG_TILE_M = 8;
export const GEMM_SG_TILE_N = 32;

/**
 * Pseudo-feature a backend reports when subgroups have at least 8 invocations, so that the 8
 * lanes of a `gemm/matmul_sg` workgroup share one subgroup.
 */
export const SUBGROUPS_OF_8 = 'subgroups-min-size-8';

function dispatch(p: Params): [number, number, number] {
  const tilesN = Math.max(1, Math.ceil(p.n / GEMM_SG_TILE_N));
  if (tilesN > MAX_WORKGROUPS_PER_DIM) {
    throw new Error(
      `gemm/matmul_sg: n = ${p.n} needs ${tilesN} column tiles, more than ${MAX_WORKGROUPS_PER_DIM}`,
    );
  }
  // Row tiles of 8 (the shader derives their count from m, not from params.tilesM).
  const rest = Math.max(1, Math.ceil(p.m / GEMM_SG_TILE_M) * p.batchCount);
  const z = Math.ceil(rest / MAX_WORKGROUPS_PER_DIM);
  return [tilesN, Math.ceil(rest / z), z];
}

/** C = β·C + bias + Σ A·B like `gemmKernel` (whose CPU twin it shares), on aligned operands. */
export const gemmSubgroupKernel: KernelDescriptor = defineKernel(shaderSources['gemm/matmul_sg'], {
  dispatch,
  cpu: (buffers, params, defines) => gemmKernel.cpu(buffers, params, defines),
});

/** Whether a launch of `gemmKernel` with these params can run as `gemm/matmul_sg`. */
export function gemmSubgroupEligible(p: Params): boolean {
  const aligned = [
    p.aRow,
    p.aOffset,
    p.aBatch1,
    p.aBatch2,
    p.aSum,
    p.bRow,
    p.bOffset,
    p.bBatch1,
    p.bBatch2,
    p.bSum,
  ];
  aligned.push(p.cRow, p.cOffset, p.cBatch1, p.cBatch2, p.n);
  // tilesM of the plain kernel is ceil(m/32); the variant's row tiles are 4× as many.
  const tiles = Math.max(1, Math.ceil(p.m / GEMM_SG_TILE_M)) * p.batchCount;
  return (
    p.aCol === 1 &&
    p.bCol === 1 &&
    aligned.every((v) => v % 4 === 0) &&
    tiles <= MAX_WORKGROUPS_PER_DIM * MAX_WORKGROUPS_PER_DIM
  );
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
 * the environment variable FRACBITS_GEMM) run gemm/matmul_sg wherever the device and the
 * operands allow it. Returns the previous choice (tests restore it).
 */
export function setGemmVariant(next: GemmVariantChoice): GemmVariantChoice {
  const prev = choice;
  choice = next;
  return prev;
}

/** `gemmKernel.variant`: the kernel a device should run for this launch. */
export function gemmVariant(params: Params, _defines: Defines, device: KernelDevice): KernelDescriptor {
  if (choice === 'plain') return gemmKernel;
  const ok =
    device.hasFeature('subgroups') && device.hasFeature(SUBGROUPS_OF_8) && gemmSubgroupEligible(params);
  return ok ? gemmSubgroupKernel : gemmKernel;
}
