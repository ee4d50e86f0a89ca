import { describe, expect, it } from 'vitest';
import {
  avgPoolBackwardKernel,
  avgPoolKernel,
  convOutputSize,
  instantiate,
  maxPoolBackwardKernel,
  maxPoolKernel,
  type Pool2dGeometry,
  pool2dParams,
} from '../src/index.js';

function geometry(planes: number, h: number, w: number, k: number, s: number, p: number): Pool2dGeometry {
  const ho = convOutputSize(h, k, s, p);
  const wo = convOutputSize(w, k, s, p);
  return { planes, h, w, ho, wo, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p };
}

function maxPool(x: Float32Array, g: Pool2dGeometry) {
  const y = new Float32Array(g.planes * g.ho * g.wo);
  const arg = new Int32Array(y.length);
  maxPoolKernel.cpu([x, y, arg], pool2dParams(g), {});
  return { y: [...y], arg: [...arg] };
}

describe('pool/max', () => {
  // 3×4 plane:  1 5 2 0
  //             3 5 9 9
  //             4 1 7 8
  const plane = new Float32Array([1, 5, 2, 0, 3, 5, 9, 9, 4, 1, 7, 8]);

  it('takes window maxima with first-element ties (2×2, stride 1)', () => {
    const { y, arg } = maxPool(plane, geometry(1, 3, 4, 2, 1, 0));
    expect(y).toEqual([5, 9, 9, 5, 9, 9]);
    // (0,0) window: 5 at index 1 and 5 at index 5 → first (1); (0,2): 9 at 6 and 7 → 6.
    expect(arg).toEqual([1, 6, 6, 5, 6, 6]);
  });

  it('never reads the padding (3×3, stride 2, pad 1)', () => {
    const negative = plane.map((v) => -v - 1);
    const { y, arg } = maxPool(negative, geometry(1, 3, 4, 3, 2, 1));
    // windows rows {-1,0,1} / {1,2,3}, cols {-1,0,1} / {1,2,3}
    expect(y).toEqual([-2, -1, -2, -2]);
    expect(arg).toEqual([0, 3, 9, 9]);
  });

  it('routes gradients to the argmax, adding where windows share it', () => {
    const g = geometry(1, 3, 4, 2, 1, 0);
    const { arg } = maxPool(plane, g);
    const dy = new Float32Array([1, 2, 4, 8, 16, 32]);
    const dx = new Float32Array(12).fill(NaN);
    maxPoolBackwardKernel.cpu([dy, Int32Array.from(arg), dx], pool2dParams(g), {});
    expect([...dx]).toEqual([0, 1, 0, 0, 0, 8, 2 + 4 + 16 + 32, 0, 0, 0, 0, 0]);
  });

  it('handles several planes and ragged windows (5×7, 3×3, stride 2, pad 1)', () => {
    const g = geometry(2, 5, 7, 3, 2, 1);
    const x = Float32Array.from({ length: 2 * 35 }, (_, i) => Math.sin(i * 1.7));
    const { y, arg } = maxPool(x, g);
    for (let pl = 0; pl < 2; pl++)
      for (let oy = 0; oy < g.ho; oy++)
        for (let ox = 0; ox < g.wo; ox++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy * 2 - 1 + ky;
              const ix = ox * 2 - 1 + kx;
              if (iy < 0 || iy >= 5 || ix < 0 || ix >= 7) continue;
              if (x[pl * 35 + iy * 7 + ix] > best) {
                best = x[pl * 35 + iy * 7 + ix];
                at = iy * 7 + ix;
              }
            }
          const o = (pl * g.ho + oy) * g.wo + ox;
          expect(y[o]).toBe(best);
          expect(arg[o]).toBe(at);
        }
  });
});

describe('pool/avg', () => {
  const plane = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3×3

  it.each([[false, [(1 + 2 + 4 + 5) / 4, (2 + 3 + 5 + 6) / 4, (4 + 5 + 7 + 8) / 4, (5 + 6 + 8 + 9) / 4]]])(
    'averages 2×2 windows without padding (countIncludePad %s)',
    (inc, expected) => {
      const g = geometry(1, 3, 3, 2, 1, 0);
      const y = new Float32Array(4);
      avgPoolKernel.cpu([plane, y], pool2dParams(g, inc), {});
      expect([...y]).toEqual(expected);
    },
  );

  it('divides by the in-bounds count, or by kh·kw with countIncludePad (3×3, stride 2, pad 1)', () => {
    const g = geometry(1, 3, 3, 3, 2, 1);
    const y = new Float32Array(4);
    avgPoolKernel.cpu([plane, y], pool2dParams(g, false), {});
    expect([...y]).toEqual([
      (1 + 2 + 4 + 5) / 4,
      (2 + 3 + 5 + 6) / 4,
      (4 + 5 + 7 + 8) / 4,
      (5 + 6 + 8 + 9) / 4,
    ]);
    avgPoolKernel.cpu([plane, y], pool2dParams(g, true), {});
    expect([...y]).toEqual([12 / 9, 16 / 9, 24 / 9, 28 / 9].map(Math.fround));
  });

  it.each([false, true])('backward spreads dy/count over each window (countIncludePad %s)', (inc) => {
    const g = geometry(2, 4, 5, 3, 2, 1);
    const dy = Float32Array.from({ length: 2 * g.ho * g.wo }, (_, i) => i + 1);
    const dx = new Float32Array(2 * 20).fill(NaN);
    avgPoolBackwardKernel.cpu([dy, dx], pool2dParams(g, inc), {});
    const expected = new Float64Array(40);
    for (let pl = 0; pl < 2; pl++)
      for (let oy = 0; oy < g.ho; oy++)
        for (let ox = 0; ox < g.wo; ox++) {
          const cells: number[] = [];
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy * 2 - 1 + ky;
              const ix = ox * 2 - 1 + kx;
              if (iy >= 0 && iy < 4 && ix >= 0 && ix < 5) cells.push(pl * 20 + iy * 5 + ix);
            }
          const v = dy[(pl * g.ho + oy) * g.wo + ox] / (inc ? 9 : cells.length);
          for (const c of cells) expected[c] += v;
        }
    for (let i = 0; i < 40; i++) expect(dx[i]).toBeCloseTo(expected[i], 5);
  });

  it('instantiates as WGSL within WebGPU limits', () => {
    for (const k of [maxPoolKernel, maxPoolBackwardKernel, avgPoolKernel, avgPoolBackwardKernel]) {
      const inst = instantiate(k);
      expect(inst.code).toContain('@compute');
      expect(k.shader.bindings.length).toBeLessThanOrEqual(8);
    }
  });
});
