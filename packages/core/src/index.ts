/**
 * @fracbits/core — the FracBits method (FRACBITS.md): fractional-bit quantizers, bit-width
 * parameters, quantized layers, the budget penalty and the discretisation.
 */

export * from './bits.js';
export * from './discretize.js';
export * from './layers.js';
export * from './model.js';
export * from './penalty.js';
export * from './quantizers.js';
export * from './search.js';
