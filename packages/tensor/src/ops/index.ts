export * from './binary.js';
export * from './reduce.js';
export * from './shape.js';
