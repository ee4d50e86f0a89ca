/**
 * @fracbits/core — the FracBits method (FRACBITS.md): fractional-bit quantizers, bit-width
 * parameters, quantized layers, the budget penalty and the discretisation.
 */
export * from './quantizers.js';
