import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { validRange } from './geometry.js';

/**
 * col[n, (c·kh + ky)·kw + kx, oy·wo + ox] = x[n0 + n, c, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw]
 * (0 in the padding) for samples [n0, n0 + count); buffers `[x, col]`, params from
 * `conv2dParams`. Bit-exact on both backends (a copy).
 */
export const im2colKernel = defineKernel(shaderSources['conv/im2col'], {
  dispatch: (p) => linearDispatch(p.count * p.c * p.kh * p.kw * p.ho * p.wo, 256),
  cpu: ([x, col], p) => {
    const { n0, count, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo } = p;
    // Zero runs are short (a few padded positions per row): plain loops beat TypedArray.fill calls.
    let d = 0;
    for (let n = 0; n < count; n++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = ((n0 + n) * c + ch) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          const [oyLo, oyHi] = validRange(h, ho, sh, ph, ky * dh);
          for (let kx = 0; kx < kw; kx++) {
            const [oxLo, oxHi] = validRange(w, wo, sw, pw, kx * dw);
            const shiftX = kx * dw - pw;
            for (const end = d + oyLo * wo; d < end; d++) col[d] = 0;
            for (let oy = oyLo; oy < oyHi; oy++, d += wo) {
              const src = plane + (oy * sh - ph + ky * dh) * w + shiftX;
              for (let ox = 0; ox < oxLo; ox++) col[d + ox] = 0;
              if (sw === 1) {
                for (let ox = oxLo; ox < oxHi; ox++) col[d + ox] = x[src + ox];
              } else {
                for (let ox = oxLo; ox < oxHi; ox++) col[d + ox] = x[src + ox * sw];
              }
              for (let ox = oxHi; ox < wo; ox++) col[d + ox] = 0;
            }
            for (const end = d + (ho - oyHi) * wo; d < end; d++) col[d] = 0;
          }
        }
      }
    }
  },
});
