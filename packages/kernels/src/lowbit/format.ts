/**
 * The packed low-bit weight layout shared by the lowbit kernels and the `.fbpk` file format:
 * a weight matrix [rows, k] (rows = output channels, k = taps of one row) stored row by row,
 * row r as a little-endian bitstream of k codes of b_r bits (0..8): bit i of the stream is bit
 * i % 32 of word i / 32, code j occupies bits [j·b_r, (j + 1)·b_r) and may straddle two words.
 * Each row is padded with zero bits to whole 32-bit words (ceil(k·b_r / 32) words; a 0-bit row,
 * a pruned channel, has none), so a row starts on a word and per-channel bit-widths only need a
 * per-row start word. The kernels read `rowInfo` = [start word, bits] per row (u32 pairs).
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

export interface PackedRowLayout {
  /** [start word, bits] per row, the `rowInfo` binding of the lowbit kernels. */
  readonly rowInfo: Uint32Array;
  /** Total words of all rows. */
  readonly words: number;
  /** Words of the longest row (the `maxRowWords` param of lowbit/pack). */
  readonly maxRowWords: number;
}

/** Row start words (rows back to back, in order) for rows of `k` codes at `bits[r]` bits. */
export function packedRowLayout(k: number, bits: ArrayLike<number>): PackedRowLayout {
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`packedRowLayout: k must be a positive integer, got ${k}`);
  const rowInfo = new Uint32Array(2 * bits.length);
  let words = 0;
  let maxRowWords = 0;
  for (let r = 0; r < bits.length; r++) {
    checkBits(bits[r], `packedRowLayout: row ${r}`);
    const n = rowWordCount(k, bits[r]);
    rowInfo[2 * r] = words;
    rowInfo[2 * r + 1] = bits[r];
    words += n;
    maxRowWords = Math.max(maxRowWords, n);
  }
  return { rowInfo, words, maxRowWords };
}

/**
 * Packs `codes` [rows, k] (row-major; row r's codes are masked to bits[r] bits) into the layout
 * above. `out` (default: a fresh array of the layout's size) receives the words.
 */
export function packCodes(
  codes: ArrayLike<number>,
  k: number,
  bits: ArrayLike<number>,
  out?: Uint32Array,
): Uint32Array {
  const layout = packedRowLayout(k, bits);
  if (codes.length < bits.length * k) {
    throw new Error(
      `packCodes: expected ${bits.length}×${k} = ${bits.length * k} codes, got ${codes.length}`,
    );
  }
  const words = out ?? new Uint32Array(layout.words);
  if (words.length < layout.words)
    throw new Error(`packCodes: output holds ${words.length} words, needs ${layout.words}`);
  for (let r = 0; r < bits.length; r++) {
    const b = bits[r];
    const start = layout.rowInfo[2 * r];
    words.fill(0, start, start + rowWordCount(k, b));
    if (b === 0) continue;
    const mask = codeMax(b);
    for (let j = 0; j < k; j++) {
      const code = codes[r * k + j] & mask;
      const bit = j * b;
      const word = start + (bit >>> 5);
      const shift = bit & 31;
      words[word] |= code << shift;
      // The high bits of a code that straddles into the next word.
      if (shift + b > 32) words[word + 1] |= code >>> (32 - shift);
    }
  }
  return words;
}

/** Code j of a packed row starting at word `start` with `bits` bits (the WGSL bit_window & mask). */
export function packedCode(words: Uint32Array, start: number, bits: number, j: number): number {
  if (bits === 0) return 0;
  const bit = j * bits;
  const i = start + (bit >>> 5);
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
