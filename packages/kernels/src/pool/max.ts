import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { tapHi, tapLo } from './geometry.js';

/**
 * Max pooling: buffers `[x, y, argmax]` (argmax int32: iy·w + ix within the plane), params from
 * `pool2dParams`. Ties go to the first element in row-major window order; padding is never read.
 * Bit-exact on both backends.
 */
export const maxPoolKernel = defineKernel(shaderSources['pool/max'], {
  dispatch: (p) => linearDispatch(p.planes * p.ho * p.wo, 256),
  cpu: ([x, y, argmax], p) => {
    const { planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw } = p;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const plane = pl * h * w;
      for (let oy = 0; oy < ho; oy++) {
        const kyLo = tapLo(oy, sh, ph);
        const kyHi = tapHi(oy, kh, sh, ph, h);
        for (let ox = 0; ox < wo; ox++, o++) {
          const kxLo = tapLo(ox, sw, pw);
          const kxHi = tapHi(ox, kw, sw, pw, w);
          let best = 0;
          let bestIdx = -1;
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = (oy * sh - ph + ky) * w + ox * sw - pw;
            for (let kx = kxLo; kx < kxHi; kx++) {
              const v = x[plane + row + kx];
              // Same test as the WGSL: first element, a strictly larger one, or the first NaN.
              if (bestIdx < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
                best = v;
                bestIdx = row + kx;
              }
            }
          }
          y[o] = best;
          argmax[o] = bestIdx;
        }
      }
    }
  },
});

/**
 * Gradient of max pooling: buffers `[dy, argmax, dx]`, params from `pool2dParams`. The WGSL
 * gathers per dx element over the windows covering it; the CPU twin scatters windows in output
 * order, which adds each element's terms in the same order from 0 (bit-exact).
 */
export const maxPoolBackwardKernel = defineKernel(shaderSources['pool/max-backward'], {
  dispatch: (p) => linearDispatch(p.planes * p.h * p.w, 256),
  cpu: ([dy, argmax, dx], p) => {
    const { planes, h, w, ho, wo } = p;
    dx.fill(0, 0, planes * h * w);
    const outPlane = ho * wo;
    for (let pl = 0; pl < planes; pl++) {
      const plane = pl * h * w;
      for (let o = pl * outPlane; o < (pl + 1) * outPlane; o++) {
        if (argmax[o] >= 0) dx[plane + argmax[o]] += dy[o];
      }
    }
  },
});
