/**
 * The CPU twin runtime: runs a plan's launches through the kernels' CPU twins, so it computes
 * what the GPU runtime computes (the reference for tests, and a fallback without WebGPU).
 */
import type { CpuBuffer } from '@fracbits/kernels';
import {
  batchSize,
  buildPlan,
  type CompiledModel,
  compileModel,
  type LowbitVariant,
  type Plan,
} from './plan.js';
import { type PackedModel, readPackedModel } from './reader.js';

export interface InferCpuOptions {
  /** Default 'dot4' (the integer path; 'float' gives the same outputs). */
  readonly variant?: LowbitVariant;
}

const compiledCache = new WeakMap<PackedModel, Map<LowbitVariant, CompiledModel>>();

function compiled(model: PackedModel, variant: LowbitVariant): CompiledModel {
  const byVariant = compiledCache.get(model) ?? new Map<LowbitVariant, CompiledModel>();
  compiledCache.set(model, byVariant);
  const c = byVariant.get(variant) ?? compileModel(model, variant);
  byVariant.set(variant, c);
  return c;
}

/** Runs `plan` on the CPU twins with `input` (plan.inputLength floats); returns the output. */
export function runPlanCpu(plan: Plan, input: Float32Array): Float32Array {
  if (input.length !== plan.inputLength) {
    throw new Error(`runPlanCpu: expected ${plan.inputLength} input floats, got ${input.length}`);
  }
  const arrays: CpuBuffer[] = plan.buffers.map((b) => {
    if (b.kind === 'const') return b.data;
    return b.elem === 'f32'
      ? new Float32Array(b.length)
      : b.elem === 'u32'
        ? new Uint32Array(b.length)
        : new Int32Array(b.length);
  });
  (arrays[plan.input] as Float32Array).set(input);
  for (const step of plan.steps) {
    step.kernel.cpu(
      step.buffers.map((id) => arrays[id]),
      step.params,
      step.defines,
    );
  }
  return (arrays[plan.output] as Float32Array).slice(0, plan.outputLength);
}

/**
 * Inference on the CPU twins: `batch` is [N, ...input shape] float32 (N inferred), the result
 * the output layer's [N, ...] floats (logits).
 */
export function inferCpu(
  model: PackedModel | Uint8Array,
  batch: Float32Array,
  options: InferCpuOptions = {},
): Float32Array {
  const m = model instanceof Uint8Array ? readPackedModel(model) : model;
  const n = batchSize(m, batch.length, 'inferCpu');
  return runPlanCpu(buildPlan(compiled(m, options.variant ?? 'dot4'), n), batch);
}
