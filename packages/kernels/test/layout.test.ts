import { describe, expect, it } from 'vitest';
import {
  type CpuBuffer,
  instantiate,
  type KernelDescriptor,
  type Params,
  padKernel,
  padParams,
  stridedCopyKernel,
  stridedCopyParams,
  wordOf,
} from '../src/index.js';
import { differences, openDawn, runOnDawn, runTwin } from './dawn.js';

const stridesOf = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

/** Reference permute by explicit index arithmetic: out[i] = x[j] with j_{dims[k]} = i_k. */
function permuteReference(x: Float32Array, shape: number[], dims: number[]): Float32Array {
  const outShape = dims.map((d) => shape[d]);
  const xs = stridesOf(shape);
  const out = new Float32Array(x.length);
  const os = stridesOf(outShape);
  for (let i = 0; i < x.length; i++) {
    let src = 0;
    for (let k = 0; k < dims.length; k++) src += (Math.floor(i / os[k]) % outShape[k]) * xs[dims[k]];
    out[i] = x[src];
  }
  return out;
}

function runCopy(
  x: Float32Array | Int32Array,
  outSize: number,
  shape: number[],
  xv: { offset: number; strides: number[] },
  ov: { offset: number; strides: number[] },
) {
  const out = x instanceof Int32Array ? new Int32Array(outSize) : new Float32Array(outSize);
  stridedCopyKernel.cpu([x, out], stridedCopyParams(shape, xv, ov), {});
  return out;
}

describe('layout/copy', () => {
  it.each([
    [
      [2, 3, 5],
      [2, 0, 1],
    ],
    [
      [1, 7, 1, 3],
      [3, 1, 0, 2],
    ],
    [
      [3, 17],
      [1, 0],
    ],
    [
      [2, 1, 3, 2, 5, 3],
      [5, 3, 1, 4, 0, 2],
    ],
  ])('permutes %j by %j', (shape, dims) => {
    const x = iota(size(shape));
    const outShape = dims.map((d) => shape[d]);
    const xs = stridesOf(shape);
    const out = runCopy(
      x,
      x.length,
      outShape,
      { offset: 0, strides: dims.map((d) => xs[d]) },
      { offset: 0, strides: stridesOf(outShape) },
    );
    expect([...out]).toEqual([...permuteReference(x, shape, dims)]);
  });

  it('merges contiguous dimensions so a rank-8 permute of two blocks fits in rank 6', () => {
    const shape = [2, 2, 3, 1, 2, 3, 2, 2];
    const dims = [4, 5, 6, 7, 0, 1, 2, 3];
    const xs = stridesOf(shape);
    const outShape = dims.map((d) => shape[d]);
    const params = stridedCopyParams(
      outShape,
      { offset: 0, strides: dims.map((d) => xs[d]) },
      { offset: 0, strides: stridesOf(outShape) },
    );
    // Two blocks remain: the merged [2, 3, 2, 2] and [2, 2, 3, 1].
    expect([params.d0, params.d1, params.d2, params.d3, params.d4, params.d5]).toEqual([1, 1, 1, 1, 24, 12]);
    const x = iota(size(shape));
    const out = new Float32Array(x.length);
    stridedCopyKernel.cpu([x, out], params, {});
    expect([...out]).toEqual([...permuteReference(x, shape, dims)]);
  });

  it('rejects more than 6 dimensions that cannot merge', () => {
    const shape = [2, 2, 2, 2, 2, 2, 2];
    const dims = [6, 5, 4, 3, 2, 1, 0];
    const xs = stridesOf(shape);
    expect(() =>
      stridedCopyParams(
        shape,
        { offset: 0, strides: dims.map((d) => xs[d]) },
        { offset: 0, strides: stridesOf(shape) },
      ),
    ).toThrow(/layout\/copy: 7 dimensions remain/);
  });

  it('copies a strided slice with an offset (rows 1..5 step 2, columns 3..) of a [7, 5] matrix', () => {
    const x = iota(35);
    const out = runCopy(
      x,
      6,
      [3, 2],
      { offset: 1 * 5 + 3, strides: [10, 1] },
      { offset: 0, strides: [2, 1] },
    );
    expect([...out]).toEqual([8, 9, 18, 19, 28, 29]);
  });

  it('writes into a region of a larger output (one part of a concat along axis 1)', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    const out = runCopy(x, 10, [2, 2], { offset: 0, strides: [2, 1] }, { offset: 3, strides: [5, 1] });
    expect([...out]).toEqual([0, 0, 0, 1, 2, 0, 0, 0, 3, 4]);
  });

  it('copies long contiguous rows (the set() path) and int32 words exactly', () => {
    const x = Int32Array.from({ length: 3 * 40 }, (_, i) => (i % 2 ? -i : 0x7fffffff - i));
    const out = runCopy(
      x,
      x.length,
      [40, 3],
      { offset: 0, strides: [1, 40] },
      { offset: 0, strides: [3, 1] },
    );
    const back = runCopy(
      out as Int32Array,
      x.length,
      [3, 40],
      { offset: 0, strides: [1, 3] },
      { offset: 0, strides: [40, 1] },
    );
    expect([...back]).toEqual([...x]);
  });

  it('preserves float32 NaN payloads and -0 bit-exactly', () => {
    const bits = Uint32Array.from([0x7fc00001, 0x80000000, 0xff800000, 0x3f800000]);
    const x = new Float32Array(bits.buffer);
    const out = runCopy(x, 4, [4], { offset: 0, strides: [1] }, { offset: 0, strides: [1] }) as Float32Array;
    expect([...new Uint32Array(out.buffer)]).toEqual([...bits]);
  });

  it('does nothing for an empty copy', () => {
    const out = runCopy(iota(3), 3, [0, 3], { offset: 0, strides: [3, 1] }, { offset: 0, strides: [3, 1] });
    expect([...out]).toEqual([0, 0, 0]);
  });
});

describe('layout/pad', () => {
  const pad = (
    x: Float32Array | Int32Array,
    xShape: number[],
    outShape: number[],
    before: number[],
    steps: number[],
    fill: number,
  ) => {
    const out =
      x instanceof Int32Array
        ? new Int32Array(size(outShape))
        : new Float32Array(size(outShape)).fill(Number.NaN);
    padKernel.cpu([x, out], padParams({ outShape, xShape, before, steps, fill }), {});
    return out;
  };

  it('pads a [2, 3] matrix by (1, 0) rows and (2, 1) columns with a constant', () => {
    const out = pad(
      Float32Array.from([1, 2, 3, 4, 5, 6]),
      [2, 3],
      [3, 6],
      [1, 2],
      [1, 1],
      wordOf(-1.5, 'f32'),
    );
    // biome-ignore format: a matrix
    expect([...out]).toEqual([
      -1.5, -1.5, -1.5, -1.5, -1.5, -1.5,
      -1.5, -1.5, 1, 2, 3, -1.5,
      -1.5, -1.5, 4, 5, 6, -1.5,
    ]);
  });

  it('scatters with steps (the gradient of a strided slice)', () => {
    // x [2, 2] lands at rows 1, 3 and columns 0, 3 of a [5, 4] output.
    const out = pad(Float32Array.from([1, 2, 3, 4]), [2, 2], [5, 4], [1, 0], [2, 3], 0);
    // biome-ignore format: a matrix
    expect([...out]).toEqual([
      0, 0, 0, 0,
      1, 0, 0, 2,
      0, 0, 0, 0,
      3, 0, 0, 4,
      0, 0, 0, 0,
    ]);
  });

  it('merges untouched trailing axes (padding N only of [N, C, H, W], rank 8)', () => {
    const xShape = [2, 3, 1, 2, 1, 1, 2, 1];
    const outShape = [4, 3, 1, 2, 1, 1, 2, 1];
    const params = padParams({
      outShape,
      xShape,
      before: [1, 0, 0, 0, 0, 0, 0, 0],
      steps: Array(8).fill(1),
      fill: 0,
    });
    expect([params.d5, params.xd5, params.b5, params.st5]).toEqual([48, 24, 12, 1]);
    const x = Float32Array.from({ length: 24 }, (_, i) => i + 1);
    const out = new Float32Array(48);
    padKernel.cpu([x, out], params, {});
    expect([...out]).toEqual([...Array(12).fill(0), ...x, ...Array(12).fill(0)]);
  });

  it('pads int32 with an int32 fill word, and pads on a middle axis of an odd shape', () => {
    const x = Int32Array.from({ length: 3 * 1 * 5 }, (_, i) => -i);
    const out = pad(x, [3, 1, 5], [3, 4, 5], [0, 2, 0], [1, 1, 1], wordOf(-7, 'i32'));
    const expected: number[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 4; b++) for (let c = 0; c < 5; c++) expected.push(b === 2 ? -(a * 5 + c) | 0 : -7);
    expect([...out]).toEqual(expected);
  });

  it('handles an empty input (all padding)', () => {
    expect([...pad(new Float32Array(0), [0, 2], [2, 2], [1, 0], [1, 1], wordOf(3, 'f32'))]).toEqual([
      3, 3, 3, 3,
    ]);
  });

  it('rejects layouts where the input does not fit, and bad steps', () => {
    expect(() => padParams({ outShape: [4], xShape: [3], before: [2], steps: [1], fill: 0 })).toThrow(
      /do not fit/,
    );
    expect(() => padParams({ outShape: [4], xShape: [2], before: [0], steps: [0], fill: 0 })).toThrow(
      /step 0/,
    );
  });
});

describe('layout kernels instantiate', () => {
  it.each([stridedCopyKernel, padKernel])('$name', (kernel) => {
    const { code, workgroupSize } = instantiate(kernel);
    expect(code).not.toMatch(/\{\{/);
    expect(code).toMatch(/var<storage, read_write> out: array<u32>/);
    expect(workgroupSize[0] * workgroupSize[1] * workgroupSize[2]).toBeLessThanOrEqual(256);
  });
});

// ---- WGSL vs CPU twin on Dawn (lavapipe in CI) -----------------------------------------------

const dawn = await openDawn();

/** Runs kernel on GPU and twin with the same buffers and expects bit-identical results. */
async function expectSameOnGpu(kernel: KernelDescriptor, buffers: CpuBuffer[], params: Params) {
  const gpu = await runOnDawn(dawn!, kernel, buffers, params);
  const twin = runTwin(kernel, buffers, params);
  gpu.forEach((g, i) => {
    expect(differences(g, twin[i]), `${kernel.name} buffer ${i}`).toEqual([]);
  });
}

/** Random float32 words with a few NaN payloads, -0 and infinities mixed in. */
function randomWords(n: number, seed: number): Float32Array {
  const bits = new Uint32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = i % 17 === 3 ? 0x7fc00000 + (s & 0xff) : i % 23 === 5 ? 0x80000000 : s;
  }
  return new Float32Array(bits.buffer);
}

describe.skipIf(!dawn)('layout WGSL matches the twins bit for bit on Dawn', () => {
  it('copy: permutes, strided slices and concat parts', async () => {
    const shape = [2, 3, 1, 5, 2, 3];
    const dims = [3, 0, 5, 2, 4, 1];
    const xs = stridesOf(shape);
    const outShape = dims.map((d) => shape[d]);
    const n = size(shape);
    const view = (strides: number[], offset = 0) => ({ offset, strides });
    await expectSameOnGpu(
      stridedCopyKernel,
      [randomWords(n, 1), new Float32Array(n)],
      stridedCopyParams(outShape, view(dims.map((d) => xs[d])), view(stridesOf(outShape))),
    );
    await expectSameOnGpu(
      stridedCopyKernel,
      [randomWords(35, 2), new Float32Array(6)],
      stridedCopyParams([3, 2], view([10, 1], 8), view([2, 1])),
    );
    await expectSameOnGpu(
      stridedCopyKernel,
      [Int32Array.from([1, -2, 3, -4]), new Int32Array(10).fill(9)],
      stridedCopyParams([2, 2], view([2, 1]), view([5, 1], 3)),
    );
    await expectSameOnGpu(
      stridedCopyKernel,
      [randomWords(301 * 67, 3), new Float32Array(301 * 67)],
      stridedCopyParams([67, 301], view([1, 67]), view([301, 1])),
    );
  });

  it('copy: more than 65535 workgroups (the folded 2-D grid)', async () => {
    // 65537 rows of 256 invocations that all copy x[row] to out[row]: the rows past 65535·256
    // invocations are reached only through the grid's second dimension. Small buffers, large grid.
    const rows = 65537;
    const params = stridedCopyParams(
      [rows, 256],
      { offset: 0, strides: [1, 0] },
      { offset: 0, strides: [1, 0] },
    );
    expect(stridedCopyKernel.dispatch(params, {})[1]).toBeGreaterThan(1);
    const x = randomWords(rows, 4);
    const [, out] = await runOnDawn(dawn!, stridedCopyKernel, [x, new Float32Array(rows)], params);
    expect(differences(out, x)).toEqual([]);
  });

  it('pad: constant padding, strided scatter and merged axes', async () => {
    const cases: [number[], number[], number[], number[], number][] = [
      [[2, 3], [3, 6], [1, 2], [1, 1], wordOf(-1.5, 'f32')],
      [[2, 2], [5, 4], [1, 0], [2, 3], 0],
      [[3, 1, 5], [3, 4, 5], [0, 2, 0], [1, 1, 1], wordOf(-7, 'i32')],
      [
        [2, 3, 1, 2, 1, 1, 2, 1],
        [4, 3, 1, 2, 1, 1, 2, 1],
        [1, 0, 0, 0, 0, 0, 0, 0],
        Array(8).fill(1),
        0x7fc00001,
      ],
      [[3, 7, 5], [6, 15, 5], [2, 1, 0], [1, 2, 1], wordOf(0.25, 'f32')],
    ];
    for (const [xShape, outShape, before, steps, fill] of cases) {
      const params = padParams({ outShape, xShape, before, steps, fill });
      await expectSameOnGpu(
        padKernel,
        [randomWords(size(xShape), 5), new Float32Array(size(outShape))],
        params,
      );
    }
  });
});
