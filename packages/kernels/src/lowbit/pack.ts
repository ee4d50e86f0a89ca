import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { packCodes, packedRowLayout, rowWordCount, unpackCodes } from './format.js';

/** Launch params of `lowbitPackKernel` / `lowbitUnpackKernel` for rows of `k` codes at `bits[r]`. */
export function lowbitPackParams(k: number, bits: ArrayLike<number>): Params {
  const layout = packedRowLayout(k, bits);
  return { rows: bits.length, k, maxRowWords: layout.maxRowWords };
}

/**
 * Packs codes into word-aligned low-bit rows (each invocation owns one word, so rows must start
 * on words): buffers `[codes (u32, rows×k), rowInfo, words]` with rowInfo from
 * `packedRowLayout(k, bits)` (rowAlign 32), params from `lowbitPackParams`. Writes every word of
 * every row (padding bits 0), nothing else. Bit-exact on both backends.
 */
export const lowbitPackKernel = defineKernel(shaderSources['lowbit/pack'], {
  dispatch: (p) => linearDispatch(p.rows * p.maxRowWords, 256),
  cpu: ([codes, rowInfo, words], p) => {
    const info = rowInfo as Uint32Array;
    const bits = Array.from({ length: p.rows }, (_, r) => info[2 * r + 1]);
    const packed = packCodes(codes, p.k, bits);
    // Rows go where rowInfo says (not necessarily back to back).
    const dense = packedRowLayout(p.k, bits).rowInfo;
    for (let r = 0; r < p.rows; r++) {
      if (info[2 * r] % 32 !== 0)
        throw new Error(`lowbit/pack: row ${r} starts at bit ${info[2 * r]}, not on a word`);
      const n = rowWordCount(p.k, bits[r]);
      words.set(packed.subarray(dense[2 * r] / 32, dense[2 * r] / 32 + n), info[2 * r] / 32);
    }
  },
});

/**
 * Unpacks low-bit rows: buffers `[words, rowInfo, codes (u32, rows×k)]`, params
 * `{ rows, k }`. Bit-exact on both backends.
 */
export const lowbitUnpackKernel = defineKernel(shaderSources['lowbit/unpack'], {
  dispatch: (p) => linearDispatch(p.rows * p.k, 256),
  cpu: ([words, rowInfo, codes], p) => {
    unpackCodes(
      words as Uint32Array,
      (rowInfo as Uint32Array).subarray(0, 2 * p.rows),
      p.k,
      codes as Uint32Array,
    );
  },
});
