export { backward, zeroGrad } from './autograd.js';
export type { Backend, BackendBuffer, MemoryStats } from './backend.js';
export { CpuBackend, type CpuBuffer } from './cpu-backend.js';
export * from './creation.js';
export * from './dtype.js';
export { getBackend, isGradEnabled, keep, noGrad, scope, setBackend } from './engine.js';
export { type GradCheckOptions, type GradCheckResult, gradCheck } from './gradcheck.js';
export {
  type BackwardContext,
  defineOp,
  expectFloat,
  expectRank,
  type ForwardContext,
  getOp,
  listOps,
  type OpDef,
  run1,
  runOp,
  type TensorSpec,
} from './op.js';
export * from './ops/index.js';
export * from './rng.js';
export * from './shape.js';
export { type GradNode, Storage, Tensor } from './tensor.js';
