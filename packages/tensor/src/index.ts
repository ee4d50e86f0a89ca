export * from './dtype.js';
export * from './shape.js';
export * from './rng.js';
export type { Backend, BackendBuffer, MemoryStats } from './backend.js';
export { CpuBackend, type CpuBuffer } from './cpu-backend.js';
export { getBackend, setBackend, scope, keep, noGrad, isGradEnabled } from './engine.js';
export { Tensor, Storage, type GradNode } from './tensor.js';
export * from './creation.js';
export {
  defineOp,
  getOp,
  listOps,
  runOp,
  run1,
  expectFloat,
  expectRank,
  type OpDef,
  type TensorSpec,
  type ForwardContext,
  type BackwardContext,
} from './op.js';
export { backward, zeroGrad } from './autograd.js';
export * from './ops/index.js';
export { gradCheck, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
