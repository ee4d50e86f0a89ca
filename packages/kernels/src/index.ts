export * from './descriptor.js';
export * from './math.js';
export { shaderSources, type ShaderName } from './generated/shaders.js';
export * from './elementwise/unary.js';
export * from './elementwise/binary.js';
export * from './reduce/axis.js';
