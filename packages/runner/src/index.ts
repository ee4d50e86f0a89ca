/**
 * @fracbits/runner — the fracbits pipeline: config schema, plugin registry, typed events, cost
 * tables, bits files and reports. Browser-safe; the Node parts (config files, plugin loading,
 * datasets, run directories, the pipeline itself) are in '@fracbits/runner/node'.
 */
export * from './backend-choice.js';
export * from './bits-file.js';
export * from './budget-spec.js';
export * from './config.js';
export * from './costs.js';
export * from './events.js';
export * from './float.js';
export * from './interrupt.js';
export * from './registry.js';
export * from './report.js';
export * from './summary.js';
