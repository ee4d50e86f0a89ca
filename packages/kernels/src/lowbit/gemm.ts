import {
  type CpuBuffer,
  type Defines,
  defineKernel,
  MAX_WORKGROUPS_PER_DIM,
  type Params,
} from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { checkBits, codeMax } from './format.js';
import { BITS_WGSL, TILE_WGSL } from './splice.js';

const f32 = Math.fround;

/** A low-bit GEMM launch: a linear layer (positions 1, groups 1) or a convolution after im2col. */
export interface LowbitGemmSpec {
  /** Activation rows: samples × output positions. */
  readonly rows: number;
  /** Output channels. */
  readonly channels: number;
  /** Output positions per sample (ho·wo; 1 for a linear layer). */
  readonly positions: number;
  /** Taps per output channel (per group): cg·kh·kw, or the input features of a linear layer. */
  readonly k: number;
  /** Groups (channels for a depthwise conv; default 1). */
  readonly groups?: number;
  /** Apply ReLU in the epilogue. */
  readonly relu?: boolean;
}

/** Register tile (TM rows × TO channels per invocation) and workgroup (WG_O × WG_R invocations). */
export interface LowbitTiling {
  readonly tm: number;
  readonly to: number;
  readonly wgO: number;
  readonly wgR: number;
}

export interface LowbitGemmOptions {
  readonly tiling?: LowbitTiling;
  /** Store the raw i32 accumulators (bit patterns in the f32 output) instead of the epilogue. */
  readonly accOut?: boolean;
  /** gemm_float only: false when the activations are floats rather than integer codes. */
  readonly intAcc?: boolean;
}

/**
 * The default tiling (measured on lavapipe). Channels per invocation: a small group (≤ 8) in one
 * tile, so every loaded activation serves all its channels; otherwise 4, or 2 when that splits
 * the group evenly and 4 does not. For a GEMV (≤ 2 rows) one row per invocation and workgroups
 * of 64 along the channels, so no work goes to missing rows; otherwise 4 rows per invocation and
 * 64-invocation workgroups split between channel tiles (up to 8) and rows, so that few channel
 * tiles do not leave workgroup lanes idle.
 */
export function lowbitTiling(rows: number, perGroup: number, groups = 1): LowbitTiling {
  const to = perGroup <= 8 ? perGroup : perGroup % 4 !== 0 && perGroup % 2 === 0 ? 2 : 4;
  if (rows <= 2) return { tm: 1, to, wgO: 64, wgR: 1 };
  const tiles = groups * Math.ceil(perGroup / to);
  const wgO = 2 ** Math.floor(Math.log2(Math.min(8, tiles)));
  return { tm: 4, to, wgO, wgR: 64 / wgO };
}

/** Params and defines of `lowbitGemmDot4Kernel` / `lowbitGemmFloatKernel` for a launch. */
export function lowbitGemmLaunch(
  spec: LowbitGemmSpec,
  options: LowbitGemmOptions = {},
): { params: Params; defines: Defines } {
  const groups = spec.groups ?? 1;
  for (const [name, v] of Object.entries({
    rows: spec.rows,
    channels: spec.channels,
    positions: spec.positions,
    k: spec.k,
    groups,
  })) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`lowbit gemm: ${name} must be a positive integer, got ${v}`);
  }
  if (spec.channels % groups !== 0) {
    throw new Error(`lowbit gemm: groups (${groups}) must divide the ${spec.channels} output channels`);
  }
  if (spec.rows % spec.positions !== 0) {
    throw new Error(`lowbit gemm: rows (${spec.rows}) must be a multiple of positions (${spec.positions})`);
  }
  const perGroup = spec.channels / groups;
  const tiling = options.tiling ?? lowbitTiling(spec.rows, perGroup, groups);
  const kWords = Math.ceil(spec.k / 4);
  const tilesPerGroup = Math.ceil(perGroup / tiling.to);
  return {
    params: {
      rows: spec.rows,
      channels: spec.channels,
      positions: spec.positions,
      kWords,
      rowWords: groups * kWords,
      perGroup,
      tilesPerGroup,
      tileCount: groups * tilesPerGroup,
      relu: spec.relu ? 1 : 0,
    },
    defines: {
      tm: tiling.tm,
      to: tiling.to,
      wgO: tiling.wgO,
      wgR: tiling.wgR,
      accOut: options.accOut === true,
      intAcc: options.intAcc !== false,
      grouped: groups > 1,
    },
  };
}

/**
 * The epilogue operand `epi` = [mult, bias] per channel: y = acc·mult + bias with
 * mult = scale·actStep / L (L = 2^bits − 1; 0 for a pruned 0-bit channel) and actStep = α / L_a
 * (1 for float activations), so that y = Σ scale·(2j − L)/L · α·q/L_a + bias.
 */
export function lowbitEpilogue(
  bits: ArrayLike<number>,
  scales: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  actStep: number,
): Float32Array {
  const epi = new Float32Array(2 * bits.length);
  for (let o = 0; o < bits.length; o++) {
    checkBits(bits[o], `lowbitEpilogue: channel ${o}`);
    epi[2 * o] = bits[o] === 0 ? 0 : (scales[o] * actStep) / codeMax(bits[o]);
    epi[2 * o + 1] = bias ? bias[o] : 0;
  }
  return epi;
}

function specialize(defines: Defines): Record<string, string> {
  return {
    TM: String(defines.tm ?? 4),
    TO: String(defines.to ?? 4),
    WG_O: String(defines.wgO ?? 8),
    WG_R: String(defines.wgR ?? 8),
    ACC_OUT: defines.accOut === true ? 'true' : 'false',
    INT_ACC: defines.intAcc === false ? 'false' : 'true',
    GROUPED: defines.grouped === false ? 'false' : 'true',
    BITS: BITS_WGSL,
    TILE: TILE_WGSL,
  };
}

/** Workgroups: x over channel tiles, y (folded into z past 65535) over row tiles. */
function dispatch(p: Params, defines: Defines): [number, number, number] {
  const d = specialize(defines);
  const x = Math.ceil(p.tileCount / Number(d.WG_O));
  if (x > MAX_WORKGROUPS_PER_DIM)
    throw new Error(`lowbit gemm: ${p.tileCount} channel tiles need ${x} workgroups`);
  const rowGroups = Math.max(1, Math.ceil(p.rows / (Number(d.TM) * Number(d.WG_R))));
  const z = Math.ceil(rowGroups / MAX_WORKGROUPS_PER_DIM);
  return [x, Math.ceil(rowGroups / z), z];
}

/**
 * The 32 bits of the packed bitstream from bit `pos` (WGSL `bit_window`, reads clamped into the
 * buffer), so the twins see the same bits past a row's end as the GPU.
 */
function bitWindow(w: Uint32Array, pos: number): number {
  const last = w.length - 1;
  const i = pos >>> 5;
  const s = pos & 31;
  const lo = w[Math.min(i, last)] >>> s;
  const hi = s === 0 ? 0 : w[Math.min(i + 1, last)] << (32 - s);
  return (lo | hi) >>> 0;
}

/** The codes the kernels read for channel o: kWords·4 of them (past k: padding / next row bits). */
function rowCodes(w: Uint32Array, rowInfo: CpuBuffer, o: number, kWords: number): Int32Array {
  const base = rowInfo[2 * o];
  const b = rowInfo[2 * o + 1];
  const m = codeMax(b);
  const codes = new Int32Array(kWords * 4);
  for (let t = 0; t < kWords; t++) {
    const v = bitWindow(w, base + 4 * t * b);
    for (let j = 0; j < 4; j++) codes[4 * t + j] = b === 0 ? 0 : (v >>> (j * b)) & m;
  }
  return codes;
}

/** The epilogue (WGSL `store`) for one output. */
function store(
  y: CpuBuffer,
  epi: CpuBuffer,
  p: Params,
  accOut: boolean,
  row: number,
  o: number,
  acc: number,
  raw: number,
): void {
  const idx = (Math.floor(row / p.positions) * p.channels + o) * p.positions + (row % p.positions);
  if (accOut) {
    new Int32Array(y.buffer, y.byteOffset, y.length)[idx] = raw;
    return;
  }
  let v = f32(f32(f32(acc) * epi[2 * o]) + epi[2 * o + 1]);
  if (p.relu !== 0) v = Math.max(v, 0);
  y[idx] = v;
}

/** Runs `body(row, o, codes, xBase)` for every output, with the channel's codes unpacked once. */
function forEachOutput(
  w: CpuBuffer,
  rowInfo: CpuBuffer,
  p: Params,
  body: (row: number, o: number, codes: Int32Array, xBase: number, bits: number) => void,
): void {
  for (let o = 0; o < p.channels; o++) {
    const codes = rowCodes(w as Uint32Array, rowInfo, o, p.kWords);
    const segment = Math.floor(o / p.perGroup) * p.kWords;
    for (let row = 0; row < p.rows; row++)
      body(row, o, codes, row * p.rowWords + segment, rowInfo[2 * o + 1]);
  }
}

/**
 * Low-bit GEMM with integer dot products: buffers `[w (u32 packed rows), rowInfo, x (u32, codes
 * packed 4×8 from lowbitIm2colPackedKernel), epi, y]`, `{ params, defines }` from
 * `lowbitGemmLaunch`. Needs the WGSL language feature `packed_4x8_integer_dot_product`. The
 * accumulator Σ (2j − L)·q is exact (the CPU twin sums the same integers); the epilogue is float32
 * (acc·mult, then + bias), bit-exact where the device does not fuse the two into an fma.
 */
export const lowbitGemmDot4Kernel = defineKernel(shaderSources['lowbit/gemm_dot4'], {
  specialize,
  dispatch,
  cpu: ([w, rowInfo, x, epi, y], p, defines) => {
    const accOut = defines.accOut === true;
    forEachOutput(w, rowInfo, p, (row, o, codes, xBase, bits) => {
      const L = codeMax(bits);
      let sum = 0;
      for (let t = 0; t < p.kWords; t++) {
        const a = x[xBase + t];
        for (let j = 0; j < 4; j++) sum += (2 * codes[4 * t + j] - L) * ((a >>> (8 * j)) & 255);
      }
      // The GPU's u32 sums wrap; the i32 they are read as is the exact sum modulo 2^32.
      const acc = sum | 0;
      store(y, epi, p, accOut, row, o, acc, acc);
    });
  },
});

/** Words per float chunk of lowbit/gemm_float (CHUNK in the WGSL). */
export const LOWBIT_FLOAT_CHUNK = 64;

/** WGSL's i32(f): truncation toward zero, saturating. */
function toI32(v: number): number {
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(v)));
}

/**
 * Low-bit GEMM, float-dequant variant: buffers `[w, rowInfo, x (f32 rows from
 * lowbitIm2colKernel), epi, y]`, `{ params, defines }` from `lowbitGemmLaunch` (`intAcc: false`
 * for float activations). With integer codes the accumulator is exact, as the dot4 kernel's; with
 * float activations the CPU twin adds the products in the kernel's order (float32, chunks of
 * LOWBIT_FLOAT_CHUNK words), bit-exact without fma contraction.
 */
export const lowbitGemmFloatKernel = defineKernel(shaderSources['lowbit/gemm_float'], {
  specialize,
  dispatch,
  cpu: ([w, rowInfo, x, epi, y], p, defines) => {
    const accOut = defines.accOut === true;
    const intAcc = defines.intAcc !== false;
    forEachOutput(w, rowInfo, p, (row, o, codes, xBase, bits) => {
      const L = codeMax(bits);
      const xb = xBase * 4;
      let total = 0;
      for (let t0 = 0; t0 < p.kWords; t0 += LOWBIT_FLOAT_CHUNK) {
        let part = 0;
        const t1 = Math.min(t0 + LOWBIT_FLOAT_CHUNK, p.kWords);
        for (let e = 4 * t0; e < 4 * t1; e++) part = f32(part + f32((2 * codes[e] - L) * x[xb + e]));
        total = intAcc ? (total + toI32(part)) | 0 : f32(total + part);
      }
      store(y, epi, p, accOut, row, o, total, intAcc ? total : toI32(total));
    });
  },
});
