/**
 * @fracbits/prune — channel pruning: FracBits 0-bit channels (FRACBITS.md §5), physical channel
 * removal through a channel dependency analysis, and an L1-norm filter-pruning baseline.
 */
export * from './describe.js';
export * from './graph.js';
export * from './joint.js';
export * from './l1.js';
export * from './mask.js';
export * from './plan.js';
export * from './pruners.js';
export * from './remove.js';
