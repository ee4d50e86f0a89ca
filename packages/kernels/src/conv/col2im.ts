import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { validRange } from './geometry.js';

/**
 * The adjoint of `im2col`: dx[n0 + n, c, iy, ix] = Σ_(ky, kx) col[n, (c·kh + ky)·kw + kx, oy·wo + ox]
 * over the taps that read (iy, ix), for samples [n0, n0 + count); buffers `[col, dx]`, params
 * from `conv2dParams`. The WGSL gathers (one invocation per dx element, no atomics); the CPU twin
 * scatters tap by tap, which adds each element's terms in the same (ky, kx) order from 0, so
 * both backends agree bit for bit.
 */
export const col2imKernel = defineKernel(shaderSources['conv/col2im'], {
  dispatch: (p) => linearDispatch(p.count * p.c * p.h * p.w, 256),
  cpu: ([col, dx], p) => {
    const { n0, count, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo } = p;
    dx.fill(0, n0 * c * h * w, (n0 + count) * c * h * w);
    let s = 0;
    for (let n = 0; n < count; n++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = ((n0 + n) * c + ch) * h * w;
        for (let ky = 0; ky < kh; ky++) {
          const [oyLo, oyHi] = validRange(h, ho, sh, ph, ky * dh);
          for (let kx = 0; kx < kw; kx++) {
            const [oxLo, oxHi] = validRange(w, wo, sw, pw, kx * dw);
            const shiftX = kx * dw - pw;
            for (let oy = oyLo; oy < oyHi; oy++) {
              const dst = plane + (oy * sh - ph + ky * dh) * w + shiftX;
              const src = s + oy * wo;
              for (let ox = oxLo; ox < oxHi; ox++) dx[dst + ox * sw] += col[src + ox];
            }
            s += ho * wo;
          }
        }
      }
    }
  },
});
