/**
 * Low-bit kernels: packing, activation quantization + im2col, and both GEMM variants, against
 * references computed here from UNPACKED values (the test unpacks with its own bit-by-bit loop
 * and quantizes with its own formula), so a packing bug cannot hide in both sides. Integer
 * accumulators must be bit-exact; every kernel also runs on Dawn when an adapter exists.
 */
import { describe, expect, it } from 'vitest';
import {
  type Conv2dGeometry,
  type CpuBuffer,
  codeMax,
  convOutputSize,
  type Defines,
  instantiate,
  type KernelDescriptor,
  type LowbitTiling,
  lowbitEpilogue,
  lowbitGemmDot4Kernel,
  lowbitGemmFloatKernel,
  lowbitGemmLaunch,
  lowbitIm2colKernel,
  lowbitIm2colPackedKernel,
  lowbitIm2colParams,
  lowbitPackKernel,
  lowbitPackParams,
  lowbitQuantizeParams,
  lowbitUnpackKernel,
  type Params,
  packCodes,
  packedRowLayout,
  type RowAlign,
  rowWordCount,
  unpackCodes,
} from '../src/index.js';
import { openDawn, runOnDawn, runTwin } from './dawn.js';

const dawn = await openDawn();
const f32 = Math.fround;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function randomCodes(rows: number, k: number, bits: readonly number[], seed: number): Uint32Array {
  const r = rng(seed);
  const codes = new Uint32Array(rows * k);
  for (let o = 0; o < rows; o++)
    for (let j = 0; j < k; j++) codes[o * k + j] = Math.floor(r() * 2 ** bits[o]);
  return codes;
}

/**
 * Independent unpacking: walk the bitstream one bit at a time, rows in order, each starting at
 * the next multiple of `rowAlign` bits.
 */
function unpackByBits(words: Uint32Array, k: number, bits: readonly number[], rowAlign = 32): number[] {
  const out: number[] = [];
  let start = 0;
  for (const b of bits) {
    for (let j = 0; j < k; j++) {
      let code = 0;
      for (let i = 0; i < b; i++) {
        const bit = start + j * b + i;
        code += ((words[Math.floor(bit / 32)] >>> (bit % 32)) & 1) * 2 ** i;
      }
      out.push(code);
    }
    start = Math.ceil((start + k * b) / rowAlign) * rowAlign;
  }
  return out;
}

/** Set bits outside every row's codes (padding, which must be zero). */
function paddingBits(words: Uint32Array, k: number, bits: readonly number[], rowAlign = 32): number {
  const used = new Set<number>();
  let start = 0;
  for (const b of bits) {
    for (let i = 0; i < k * b; i++) used.add(start + i);
    start = Math.ceil((start + k * b) / rowAlign) * rowAlign;
  }
  let ones = 0;
  for (let bit = 0; bit < words.length * 32; bit++)
    if (!used.has(bit)) ones += (words[bit >>> 5] >>> (bit % 32)) & 1;
  return ones;
}

const geometry = (
  c: number,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number] = [1, 1],
  p: [number, number] = [0, 0],
  d: [number, number] = [1, 1],
): Conv2dGeometry => ({
  c,
  h,
  w,
  kh: k[0],
  kw: k[1],
  sh: s[0],
  sw: s[1],
  ph: p[0],
  pw: p[1],
  dh: d[0],
  dw: d[1],
  ho: convOutputSize(h, k[0], s[0], p[0], d[0]),
  wo: convOutputSize(w, k[1], s[1], p[1], d[1]),
});

/** The test's own PACT code: clip to [0, α], divide, scale to L_a levels, round half to even. */
function pactCode(v: number, alpha: number, bits: number): number {
  const u = f32(f32(Math.min(Math.max(v, 0), alpha)) / f32(alpha));
  const m = f32(u * (2 ** bits - 1));
  const r = Math.floor(m);
  const frac = m - r;
  return frac > 0.5 || (frac === 0.5 && r % 2 === 1) ? r + 1 : r;
}

/** The convolution input under tap (c, ky, kx) at output (oy, ox), 0 in the padding. */
function inputAt(
  x: Float32Array,
  g: Conv2dGeometry,
  s: number,
  c: number,
  oy: number,
  ox: number,
  ky: number,
  kx: number,
) {
  const iy = oy * g.sh - g.ph + ky * g.dh;
  const ix = ox * g.sw - g.pw + kx * g.dw;
  return iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? 0 : x[((s * g.c + c) * g.h + iy) * g.w + ix];
}

interface ConvCase {
  readonly name: string;
  readonly n: number;
  readonly g: Conv2dGeometry;
  readonly groups: number;
  readonly out: number;
  /** Weight bits per output channel. */
  readonly bits: readonly number[];
  readonly actBits: number;
  readonly alpha: number;
}

const linear = (
  name: string,
  n: number,
  k: number,
  out: number,
  bits: number[],
  actBits: number,
): ConvCase => ({
  name,
  n,
  g: geometry(k, 1, 1, [1, 1]),
  groups: 1,
  out,
  bits,
  actBits,
  alpha: 1.5,
});

const CASES: ConvCase[] = [
  linear('linear K=1, 1 channel, batch 1', 1, 1, 1, [3], 2),
  linear('linear K=5, 3 channels, odd batch', 3, 5, 3, [1, 8, 0], 8),
  linear('linear K=13 (not a multiple of 4/8/32), mixed bits', 5, 13, 7, [2, 3, 4, 5, 6, 7, 8], 3),
  linear('linear K=37, 9 channels', 2, 37, 9, [8, 7, 6, 5, 4, 3, 2, 1, 0], 5),
  linear('linear K=300 (> one float chunk), 8×8 bits', 3, 300, 5, [8, 8, 1, 3, 8], 8),
  {
    name: 'conv 3×3 pad 1 stride 2, 5 channels',
    n: 3,
    g: geometry(3, 7, 6, [3, 3], [2, 2], [1, 1]),
    groups: 1,
    out: 5,
    bits: [2, 4, 8, 3, 0],
    actBits: 4,
    alpha: 2,
  },
  {
    name: 'grouped conv (2 groups), dilation 2',
    n: 1,
    g: geometry(4, 6, 7, [2, 3], [1, 1], [0, 2], [2, 1]),
    groups: 2,
    out: 6,
    bits: [1, 2, 3, 5, 6, 7],
    actBits: 6,
    alpha: 0.75,
  },
  {
    name: 'depthwise 3×3, 7 channels',
    n: 2,
    g: geometry(7, 5, 5, [3, 3], [1, 1], [1, 1]),
    groups: 7,
    out: 7,
    bits: [2, 2, 4, 4, 8, 1, 0],
    actBits: 2,
    alpha: 1,
  },
];

function inputFor(c: ConvCase, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: c.n * c.g.c * c.g.h * c.g.w }, () => (r() * 1.4 - 0.2) * c.alpha);
}

/** Exact integer accumulators Σ_k (2j − L)·q, computed from the unpacked weights and codes. */
function referenceAcc(c: ConvCase, x: Float32Array, codes: readonly number[], float: boolean): number[] {
  const { g, groups } = c;
  const cg = g.c / groups;
  const k = cg * g.kh * g.kw;
  const perGroup = c.out / groups;
  const acc: number[] = [];
  for (let s = 0; s < c.n; s++)
    for (let o = 0; o < c.out; o++)
      for (let oy = 0; oy < g.ho; oy++)
        for (let ox = 0; ox < g.wo; ox++) {
          const L = 2 ** c.bits[o] - 1;
          const grp = Math.floor(o / perGroup);
          let sum = 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const v = inputAt(x, g, s, grp * cg + ci, oy, ox, ky, kx);
                const q = float ? v : pactCode(v, c.alpha, c.actBits);
                sum += (2 * codes[o * k + (ci * g.kh + ky) * g.kw + kx] - L) * q;
              }
          acc.push(sum);
        }
  return acc;
}

interface Prepared {
  readonly c: ConvCase;
  readonly x: Float32Array;
  readonly codes: Uint32Array;
  readonly rowAlign: RowAlign;
  readonly words: Uint32Array;
  readonly rowInfo: Uint32Array;
  readonly im2colParams: Params;
  readonly k: number;
}

/** Weights packed with word-aligned rows (rowAlign 32) or as one continuous stream (1). */
function prepare(c: ConvCase, seed: number, rowAlign: RowAlign = 32): Prepared {
  const k = (c.g.c / c.groups) * c.g.kh * c.g.kw;
  const codes = randomCodes(c.out, k, c.bits, seed);
  const { rowInfo } = packedRowLayout(k, c.bits, rowAlign);
  return {
    c,
    x: inputFor(c, seed + 1),
    codes,
    rowAlign,
    words: packCodes(codes, k, c.bits, { rowAlign }),
    rowInfo,
    im2colParams: lowbitIm2colParams(c.g, c.n, c.groups, { alpha: c.alpha, bits: c.actBits }),
    k,
  };
}

const outSize = (c: ConvCase) => c.n * c.out * c.g.ho * c.g.wo;

type Variant = 'dot4' | 'float';

/** Buffers of the two launches (im2col, then GEMM) of one variant. */
function launches(
  p: Prepared,
  variant: Variant,
  options: { accOut: boolean; tiling?: LowbitTiling; relu?: boolean },
) {
  const { c } = p;
  const rows = c.n * c.g.ho * c.g.wo;
  const rowWords = c.groups * p.im2colParams.kWords;
  const im2col = variant === 'dot4' ? lowbitIm2colPackedKernel : lowbitIm2colKernel;
  const col = variant === 'dot4' ? new Uint32Array(rows * rowWords) : new Float32Array(rows * rowWords * 4);
  const gemm = variant === 'dot4' ? lowbitGemmDot4Kernel : lowbitGemmFloatKernel;
  const launch = lowbitGemmLaunch(
    { rows, channels: c.out, positions: c.g.ho * c.g.wo, k: p.k, groups: c.groups, relu: options.relu },
    { accOut: options.accOut, tiling: options.tiling },
  );
  const scales = Float32Array.from(c.bits, (_, o) => 0.5 + o / 4);
  const bias = Float32Array.from(c.bits, (_, o) => o / 3 - 1);
  const epi = lowbitEpilogue(c.bits, scales, bias, c.alpha / codeMax(c.actBits));
  return { im2col, col, gemm, launch, epi, y: new Float32Array(outSize(c)) };
}

async function run(
  kernel: KernelDescriptor,
  buffers: CpuBuffer[],
  params: Params,
  defines: Defines,
  on: 'twin' | 'gpu',
): Promise<CpuBuffer[]> {
  return on === 'twin'
    ? runTwin(kernel, buffers, params, defines)
    : runOnDawn(dawn!, kernel, buffers, params, defines);
}

async function gemmOutputs(
  p: Prepared,
  variant: Variant,
  on: 'twin' | 'gpu',
  options: Parameters<typeof launches>[2],
) {
  const l = launches(p, variant, options);
  const [, col] = await run(l.im2col, [p.x, l.col], p.im2colParams, {}, on);
  const [, , , , y] = await run(
    l.gemm,
    [p.words, p.rowInfo, col, l.epi, l.y],
    l.launch.params,
    l.launch.defines,
    on,
  );
  return { col, y: y as Float32Array, epi: l.epi };
}

const asInt = (y: Float32Array) => Array.from(new Int32Array(y.buffer, y.byteOffset, y.length));

describe('lowbit packed layout', () => {
  it('sizes rows in whole words and starts each on a word', () => {
    expect(rowWordCount(13, 3)).toBe(2);
    expect(rowWordCount(32, 1)).toBe(1);
    expect(rowWordCount(5, 0)).toBe(0);
    const layout = packedRowLayout(13, [3, 0, 8, 5]);
    expect(Array.from(layout.rowInfo)).toEqual([0, 3, 64, 0, 64, 8, 192, 5]);
    expect(layout.words).toBe(9);
    expect(layout.maxRowWords).toBe(4);
    const continuous = packedRowLayout(13, [3, 0, 8, 5], 1);
    expect(Array.from(continuous.rowInfo)).toEqual([0, 3, 39, 0, 39, 8, 143, 5]);
    expect(continuous.words).toBe(7); // 208 bits
  });

  it('rejects bit-widths outside 0..8 and short inputs, naming the function', () => {
    expect(() => packedRowLayout(4, [9])).toThrow(
      /packedRowLayout: row 0: bit-width must be an integer in \[0, 8\], got 9/,
    );
    expect(() => packedRowLayout(4, [2.5])).toThrow(/got 2.5/);
    expect(() => packCodes([1, 2], 4, [2])).toThrow(/packCodes: expected 1×4 = 4 codes, got 2/);
  });

  for (const k of [1, 3, 5, 31, 32, 33, 37]) {
    it(`packs and unpacks every bit-width 0..8 with k = ${k} (checked bit by bit)`, () => {
      const bits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 3, 7];
      const codes = randomCodes(bits.length, k, bits, k);
      const words = packCodes(codes, k, bits);
      expect(words.length).toBe(bits.reduce((a, b) => a + Math.ceil((k * b) / 32), 0));
      expect(unpackByBits(words, k, bits)).toEqual(Array.from(codes));
      expect(paddingBits(words, k, bits)).toBe(0);
      expect(Array.from(unpackCodes(words, packedRowLayout(k, bits).rowInfo, k))).toEqual(Array.from(codes));
      const stream = packCodes(codes, k, bits, { rowAlign: 1 });
      expect(stream.length).toBe(Math.ceil((k * bits.reduce((a, b) => a + b, 0)) / 32));
      expect(unpackByBits(stream, k, bits, 1)).toEqual(Array.from(codes));
      expect(paddingBits(stream, k, bits, 1)).toBe(0);
      expect(Array.from(unpackCodes(stream, packedRowLayout(k, bits, 1).rowInfo, k))).toEqual(
        Array.from(codes),
      );
    });
  }

  it('masks codes wider than the row’s bits', () => {
    const words = packCodes([0xff, 0x1f, 0x3], 3, [2]);
    expect(unpackByBits(words, 3, [2])).toEqual([3, 3, 3]);
  });

  it('pack and unpack kernels (CPU twins) agree with packCodes and the bit walk', () => {
    const k = 29;
    const bits = [5, 0, 8, 1, 7, 3];
    const codes = randomCodes(bits.length, k, bits, 9);
    const layout = packedRowLayout(k, bits);
    const [, , words] = runTwin(
      lowbitPackKernel,
      [codes, layout.rowInfo, new Uint32Array(layout.words).fill(0xdeadbeef)],
      lowbitPackParams(k, bits),
    );
    expect(Array.from(words)).toEqual(Array.from(packCodes(codes, k, bits)));
    const [, , back] = runTwin(
      lowbitUnpackKernel,
      [words, layout.rowInfo, new Uint32Array(codes.length)],
      lowbitPackParams(k, bits),
    );
    expect(Array.from(back)).toEqual(unpackByBits(words as Uint32Array, k, bits));
  });
});

describe('lowbit activation quantization + im2col (CPU twins)', () => {
  for (const c of CASES) {
    it(`${c.name}: codes and packed words match the definition`, () => {
      const p = prepare(c, 3);
      const { g, groups } = c;
      const cg = g.c / groups;
      const segment = p.im2colParams.kWords * 4;
      const expected: number[] = [];
      for (let s = 0; s < c.n; s++)
        for (let oy = 0; oy < g.ho; oy++)
          for (let ox = 0; ox < g.wo; ox++)
            for (let grp = 0; grp < groups; grp++)
              for (let t = 0; t < segment; t++) {
                if (t >= p.k) {
                  expected.push(0);
                  continue;
                }
                const ci = Math.floor(t / (g.kh * g.kw));
                const ky = Math.floor((t % (g.kh * g.kw)) / g.kw);
                const kx = t % g.kw;
                expected.push(
                  pactCode(inputAt(p.x, g, s, grp * cg + ci, oy, ox, ky, kx), c.alpha, c.actBits),
                );
              }
      const f = launches(p, 'float', { accOut: true });
      const [, col] = runTwin(f.im2col, [p.x, f.col], p.im2colParams);
      expect(Array.from(col)).toEqual(expected);
      const d = launches(p, 'dot4', { accOut: true });
      const [, packed] = runTwin(d.im2col, [p.x, d.col], p.im2colParams);
      expect(
        Array.from(packed).flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]),
      ).toEqual(expected);
    });
  }

  it('quantizes a [rows, features] matrix into packed rows (lowbitQuantizeParams)', () => {
    const x = Float32Array.from([0.1, 0.9, 0.5, 2, -1, 0.3, 0.7]);
    const params = lowbitQuantizeParams(1, 7, { alpha: 1, bits: 3 });
    const [, packed] = runTwin(lowbitIm2colPackedKernel, [x, new Uint32Array(2)], params);
    const bytes = Array.from(packed).flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]);
    expect(bytes).toEqual([...Array.from(x, (v) => pactCode(v, 1, 3)), 0]);
  });

  it('rounds ties to even and clips to [0, α]', () => {
    // α = 3, 2 bits: v/α·3 = v, so 0.5 → 0, 1.5 → 2, 2.5 → 2, −1 → 0, 7 → 3.
    const x = Float32Array.from([0.5, 1.5, 2.5, -1, 7]);
    const params = lowbitIm2colParams(geometry(5, 1, 1, [1, 1]), 1, 1, { alpha: 3, bits: 2 });
    const [, col] = runTwin(lowbitIm2colKernel, [x, new Float32Array(8)], params);
    expect(Array.from(col)).toEqual([0, 2, 2, 0, 3, 0, 0, 0]);
  });

  it('passes float values through with { quant: false }', () => {
    const c = CASES[5];
    const params = lowbitIm2colParams(c.g, c.n, 1, null);
    const p = prepare(c, 4);
    const [, col] = runTwin(
      lowbitIm2colKernel,
      [p.x, new Float32Array(c.n * c.g.ho * c.g.wo * params.kWords * 4)],
      params,
      { quant: false },
    );
    // Row 3 is output (1, 0) (wo = 3); tap 4 is (c 0, ky 1, kx 1).
    expect(col[params.kWords * 4 * 3 + 4]).toBe(inputAt(p.x, c.g, 0, 0, 1, 0, 1, 1));
    expect(col[params.kWords * 4 * 3 + 4]).not.toBe(0);
  });

  it('rejects bad quantization settings with the kernel name', () => {
    const g = geometry(4, 1, 1, [1, 1]);
    expect(() => lowbitIm2colParams(g, 1, 1, { alpha: 0, bits: 4 })).toThrow(
      /lowbit\/im2col: PACT clip α must be a positive/,
    );
    expect(() => lowbitIm2colParams(g, 1, 1, { alpha: 1, bits: 0 })).toThrow(
      /lowbit\/im2col: activation: bit-width must be an integer in \[1, 8\]/,
    );
    expect(() => lowbitIm2colParams(g, 1, 3, { alpha: 1, bits: 2 })).toThrow(
      /groups must divide the 4 input channels/,
    );
  });
});

const TILINGS: [string, LowbitTiling | undefined][] = [
  ['default tiling', undefined],
  ['gemv tiling', { tm: 1, to: 1, wgO: 64, wgR: 1 }],
  ['odd tiling', { tm: 3, to: 2, wgO: 5, wgR: 3 }],
];

describe('lowbit GEMM CPU twins: exact integer accumulators from unpacked values', () => {
  for (const c of CASES) {
    for (const variant of ['dot4', 'float'] as const) {
      it(`${variant}: ${c.name}`, async () => {
        for (const rowAlign of [32, 1] as const) {
          const p = prepare(c, 11, rowAlign);
          const expected = referenceAcc(c, p.x, unpackByBits(p.words, p.k, c.bits, rowAlign), false);
          for (const [, tiling] of TILINGS) {
            const { y } = await gemmOutputs(p, variant, 'twin', { accOut: true, tiling });
            expect(asInt(y)).toEqual(expected);
          }
        }
      });
    }
  }

  it('float variant with float activations (first layer) sums the products in float32', async () => {
    const c = CASES[5];
    const p = prepare(c, 12);
    const params = lowbitIm2colParams(c.g, c.n, 1, null);
    const rows = c.n * c.g.ho * c.g.wo;
    const [, col] = runTwin(lowbitIm2colKernel, [p.x, new Float32Array(rows * params.kWords * 4)], params, {
      quant: false,
    });
    const launch = lowbitGemmLaunch(
      { rows, channels: c.out, positions: c.g.ho * c.g.wo, k: p.k },
      { intAcc: false },
    );
    const epi = lowbitEpilogue(c.bits, new Float32Array(c.out).fill(1), null, 1);
    const [, , , , y] = runTwin(
      lowbitGemmFloatKernel,
      [p.words, p.rowInfo, col, epi, new Float32Array(outSize(c))],
      launch.params,
      launch.defines,
    );
    const exact = referenceAcc(c, p.x, unpackByBits(p.words, p.k, c.bits), true);
    exact.forEach((v, i) => {
      const o = Math.floor(i / (c.g.ho * c.g.wo)) % c.out;
      const L = 2 ** c.bits[o] - 1;
      expect(Math.abs(y[i] - (L === 0 ? 0 : v / L))).toBeLessThan(1e-5 * (1 + Math.abs(v)));
    });
  });

  it('applies the epilogue: acc·scale·α/(L·L_a) + bias, ReLU, 0-bit channels give the bias', async () => {
    const c = CASES[1];
    const p = prepare(c, 13);
    const acc = referenceAcc(c, p.x, unpackByBits(p.words, p.k, c.bits), false);
    for (const relu of [false, true]) {
      const { y, epi } = await gemmOutputs(p, 'dot4', 'twin', { accOut: false, relu });
      acc.forEach((a, i) => {
        const o = i % c.out;
        const v = f32(f32(f32(a) * epi[2 * o]) + epi[2 * o + 1]);
        expect(y[i]).toBe(relu ? Math.max(v, 0) : v);
      });
    }
    // channel 2 has 0 bits: its multiplier is 0, the output is the bias (−1/3).
    const { y } = await gemmOutputs(p, 'float', 'twin', { accOut: false });
    expect(y[2]).toBe(f32(2 / 3 - 1));
  });

  it('rejects inconsistent shapes with the kernel name', () => {
    expect(() => lowbitGemmLaunch({ rows: 4, channels: 6, positions: 1, k: 3, groups: 4 })).toThrow(
      /lowbit gemm: groups \(4\) must divide the 6 output channels/,
    );
    expect(() => lowbitGemmLaunch({ rows: 5, channels: 6, positions: 2, k: 3 })).toThrow(
      /rows \(5\) must be a multiple of positions \(2\)/,
    );
    expect(() => lowbitGemmLaunch({ rows: 0, channels: 6, positions: 1, k: 3 })).toThrow(
      /rows must be a positive integer, got 0/,
    );
    expect(() => lowbitEpilogue([9], [1], null, 1)).toThrow(/lowbitEpilogue: channel 0: bit-width/);
  });

  it('produces valid instantiations for every tiling', () => {
    for (const [, tiling] of TILINGS) {
      const { defines } = lowbitGemmLaunch({ rows: 3, channels: 5, positions: 1, k: 7 }, { tiling });
      for (const kernel of [lowbitGemmDot4Kernel, lowbitGemmFloatKernel]) {
        const code = instantiate(kernel, defines).code;
        expect(code).not.toMatch(/\{\{/);
        expect(code).toContain('fn bit_window');
      }
    }
  });
});

describe.skipIf(!dawn)('lowbit WGSL matches the references on Dawn', () => {
  it('pack and unpack', async () => {
    const k = 37;
    const bits = [5, 0, 8, 1, 7, 3, 2, 6, 4];
    const codes = randomCodes(bits.length, k, bits, 21);
    const layout = packedRowLayout(k, bits);
    const [, , words] = await runOnDawn(
      dawn!,
      lowbitPackKernel,
      [codes, layout.rowInfo, new Uint32Array(layout.words).fill(7)],
      lowbitPackParams(k, bits),
    );
    expect(Array.from(words)).toEqual(Array.from(packCodes(codes, k, bits)));
    const [, , back] = await runOnDawn(
      dawn!,
      lowbitUnpackKernel,
      [words, layout.rowInfo, new Uint32Array(codes.length)],
      lowbitPackParams(k, bits),
    );
    expect(Array.from(back)).toEqual(Array.from(codes));
  });

  for (const c of CASES) {
    it(`${c.name}: im2col, both GEMM variants (accumulators and epilogue) bit-exact`, async () => {
      const p = prepare(c, 31, 1);
      const expected = referenceAcc(c, p.x, unpackByBits(p.words, p.k, c.bits, 1), false);
      for (const variant of ['dot4', 'float'] as const) {
        const twin = await gemmOutputs(p, variant, 'twin', { accOut: false, relu: true });
        for (const [, tiling] of TILINGS) {
          const acc = await gemmOutputs(p, variant, 'gpu', { accOut: true, tiling });
          expect(asInt(acc.y), `${variant} accumulators`).toEqual(expected);
          expect(Array.from(acc.col)).toEqual(
            Array.from((await gemmOutputs(p, variant, 'twin', { accOut: true })).col),
          );
        }
        const gpu = await gemmOutputs(p, variant, 'gpu', { accOut: false, relu: true });
        expect(Array.from(gpu.y), `${variant} epilogue`).toEqual(Array.from(twin.y));
      }
    });
  }

  it('float activations: GPU equals the CPU twin bit for bit', async () => {
    const c = CASES[6];
    const p = prepare(c, 41);
    const params = lowbitIm2colParams(c.g, c.n, c.groups, null);
    const rows = c.n * c.g.ho * c.g.wo;
    const col = new Float32Array(rows * c.groups * params.kWords * 4);
    const [, colGpu] = await runOnDawn(dawn!, lowbitIm2colKernel, [p.x, col], params, { quant: false });
    const launch = lowbitGemmLaunch(
      { rows, channels: c.out, positions: c.g.ho * c.g.wo, k: p.k, groups: c.groups },
      { intAcc: false },
    );
    const epi = lowbitEpilogue(c.bits, new Float32Array(c.out).fill(0.7), null, 1);
    const buffers = [p.words, p.rowInfo, colGpu, epi, new Float32Array(outSize(c))];
    const [, , , , yGpu] = await runOnDawn(
      dawn!,
      lowbitGemmFloatKernel,
      buffers,
      launch.params,
      launch.defines,
    );
    const [, , , , yTwin] = runTwin(lowbitGemmFloatKernel, buffers, launch.params, launch.defines);
    expect(Array.from(yGpu)).toEqual(Array.from(yTwin));
  });
});
