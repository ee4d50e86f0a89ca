/**
 * The packed low-bit weight layout shared by the lowbit kernels and the `.fbpk` file format:
 * a weight matrix [rows, k] (rows = output channels, k = taps of one row) stored row by row in
 * one little-endian bitstream of u32 words (bit i of the stream is bit i % 32 of word i / 32).
 * Row r holds k codes of b_r bits (0..8; a 0-bit row, a pruned channel, holds nothing); code j
 * occupies bits [start_r + j·b_r, start_r + (j + 1)·b_r) and may straddle two words. Rows follow
 * each other in order, each starting at the next multiple of `rowAlign` bits: 32 (the default:
 * rows padded to whole words, ceil(k·b_r / 32) words each, what lowbit/pack writes) or 1 (no
 * padding at all: what the file format stores). The kernels read `rowInfo` = [start bit, bits]
 * per row (u32 pairs), so they work with either alignment.
 */

/** Largest weight or activation bit-width of the low-bit kernels (codes are bytes). */
export const LOWBIT_MAX_BITS = 8;

/** L = 2^b − 1, the largest b-bit code (0 for b = 0). */
export function codeMax(bits: number): number {
  return 2 ** bits - 1;
}

/** Throws unless `bits` is an integer in [0, 8] (what the packed layout and kernels accept). */
export function checkBits(bits: number, what: string, min = 0): void {
  if (!Number.isInteger(bits) || bits < min || bits > LOWBIT_MAX_BITS) {
    throw new Error(`${what}: bit-width must be an integer in [${min}, ${LOWBIT_MAX_BITS}], got ${bits}`);
  }
}

/** 32-bit words of one packed row of `k` codes at `bits` bits: ceil(k·bits / 32). */
export function rowWordCount(k: number, bits: number): number {
  return Math.ceil((k * bits) / 32);
}

/** Row alignment in bits: 32 (rows padded to whole words) or 1 (one continuous bitstream). */
export type RowAlign = 1 | 32;

export interface PackedRowLayout {
  /** [start bit, bits] per row, the `rowInfo` binding of the lowbit kernels. */
  readonly rowInfo: Uint32Array;
  /** Total words of all rows. */
  readonly words: number;
  /** Words of the longest row (the `maxRowWords` param of lowbit/pack). */
  readonly maxRowWords: number;
}

/** Row start bits (rows in order) for rows of `k` codes at `bits[r]` bits. */
export function packedRowLayout(
  k: number,
  bits: ArrayLike<number>,
  rowAlign: RowAlign = 32,
): PackedRowLayout {
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`packedRowLayout: k must be a positive integer, got ${k}`);
  if (rowAlign !== 1 && rowAlign !== 32)
    throw new Error(`packedRowLayout: rowAlign must be 1 or 32, got ${rowAlign}`);
  const rowInfo = new Uint32Array(2 * bits.length);
  let bit = 0;
  let maxRowWords = 0;
  for (let r = 0; r < bits.length; r++) {
    checkBits(bits[r], `packedRowLayout: row ${r}`);
    bit = Math.ceil(bit / rowAlign) * rowAlign;
    rowInfo[2 * r] = bit;
    rowInfo[2 * r + 1] = bits[r];
    bit += k * bits[r];
    maxRowWords = Math.max(maxRowWords, rowWordCount(k, bits[r]));
  }
  if (bit >= 2 ** 32)
    throw new Error(`packedRowLayout: ${bit} bits exceed the 2^32-bit addressing of the kernels`);
  return { rowInfo, words: Math.ceil(bit / 32), maxRowWords };
}

export interface PackCodesOptions {
  /** Row alignment (default 32: word-aligned rows). */
  readonly rowAlign?: RowAlign;
  /** Receives the words (default: a fresh array of the layout's size). */
  readonly out?: Uint32Array;
}

/**
 * Packs `codes` [rows, k] (row-major; row r's codes are masked to bits[r] bits) into the layout
 * above; padding bits are 0.
 */
export function packCodes(
  codes: ArrayLike<number>,
  k: number,
  bits: ArrayLike<number>,
  options: PackCodesOptions = {},
): Uint32Array {
  const layout = packedRowLayout(k, bits, options.rowAlign);
  if (codes.length < bits.length * k) {
    throw new Error(
      `packCodes: expected ${bits.length}×${k} = ${bits.length * k} codes, got ${codes.length}`,
    );
  }
  const words = options.out ?? new Uint32Array(layout.words);
  if (words.length < layout.words) {
    throw new Error(`packCodes: output holds ${words.length} words, needs ${layout.words}`);
  }
  words.fill(0, 0, layout.words);
  for (let r = 0; r < bits.length; r++) {
    const b = bits[r];
    if (b === 0) continue;
    const start = layout.rowInfo[2 * r];
    const mask = codeMax(b);
    for (let j = 0; j < k; j++) {
      const code = codes[r * k + j] & mask;
      const bit = start + j * b;
      const word = bit >>> 5;
      const shift = bit & 31;
      words[word] |= code << shift;
      // The high bits of a code that straddles into the next word.
      if (shift + b > 32) words[word + 1] |= code >>> (32 - shift);
    }
  }
  return words;
}

/** Code j of a packed row starting at bit `start` with `bits` bits (the WGSL bit_window & mask). */
export function packedCode(words: Uint32Array, start: number, bits: number, j: number): number {
  if (bits === 0) return 0;
  const bit = start + j * bits;
  const i = bit >>> 5;
  const shift = bit & 31;
  let v = words[i] >>> shift;
  if (shift + bits > 32) v |= words[i + 1] << (32 - shift);
  return v & codeMax(bits);
}

/** Unpacks rows laid out by `rowInfo` into codes [rows, k] (row-major). */
export function unpackCodes(
  words: Uint32Array,
  rowInfo: Uint32Array,
  k: number,
  out?: Uint32Array,
): Uint32Array {
  const rows = rowInfo.length / 2;
  const codes = out ?? new Uint32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) codes[r * k + j] = packedCode(words, rowInfo[2 * r], rowInfo[2 * r + 1], j);
  }
  return codes;
}
