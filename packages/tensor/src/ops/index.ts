export * from './binary.js';
export * from './elementwise.js';
export * from './indexing.js';
export * from './layout.js';
export * from './loss.js';
export * from './reduce.js';
export * from './shape.js';
export * from './softmax.js';
