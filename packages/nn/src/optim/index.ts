export { Adam, type AdamHyper, type AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export { type DecayGroups, type DecaysWeights, splitDecay } from './groups.js';
export { Optimizer, type OptimizerState, type ParamGroup, type ResolvedGroup } from './optimizer.js';
export { ConstantSchedule, CosineSchedule, type CosineScheduleOptions, type LrSchedule } from './schedule.js';
export { SGD, type SgdHyper, type SgdOptions } from './sgd.js';
