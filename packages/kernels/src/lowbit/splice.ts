/**
 * Shared WGSL sections of the lowbit kernels: a `// BEGIN NAME` … `// END NAME` section of one
 * shader, spliced into others through a `{{NAME}}` template variable (the template step has no
 * includes; see shaders/README.md). The section is taken verbatim, so it may itself contain
 * template variables, which the including kernel resolves.
 */
import type { ShaderSource } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';

export function wgslSection(shader: ShaderSource, name: string): string {
  const begin = `// BEGIN ${name}`;
  const end = `// END ${name}`;
  const start = shader.source.indexOf(begin);
  const stop = shader.source.indexOf(end);
  if (start < 0 || stop < start)
    throw new Error(`${shader.name}.wgsl: missing "${begin}" / "${end}" markers`);
  return shader.source.slice(start, stop + end.length);
}

/** bit_window / code_mask / spread4 from lowbit/unpack.wgsl. */
export const BITS_WGSL = wgslSection(shaderSources['lowbit/unpack'], 'BITS');
/** gather / act_code from lowbit/im2col.wgsl. */
export const GATHER_WGSL = wgslSection(shaderSources['lowbit/im2col'], 'GATHER');
/** Tile / tile_of / row_base / store from lowbit/gemm_float.wgsl. */
export const TILE_WGSL = wgslSection(shaderSources['lowbit/gemm_float'], 'TILE');
