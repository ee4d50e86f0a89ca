import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { tapHi, tapLo } from './geometry.js';

/**
 * Average pooling: buffers `[x, y]`, params from `pool2dParams(g, countIncludePad)`. The window
 * sum (row-major, float32) is divided by kh·kw, or by the number of in-bounds elements.
 */
export const avgPoolKernel = defineKernel(shaderSources['pool/avg'], {
  dispatch: (p) => linearDispatch(p.planes * p.ho * p.wo, 256),
  cpu: ([x, y], p) => {
    const { planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, countIncludePad } = p;
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const plane = pl * h * w;
      for (let oy = 0; oy < ho; oy++) {
        const kyLo = tapLo(oy, sh, ph);
        const kyHi = tapHi(oy, kh, sh, ph, h);
        for (let ox = 0; ox < wo; ox++, o++) {
          const kxLo = tapLo(ox, sw, pw);
          const kxHi = tapHi(ox, kw, sw, pw, w);
          let acc = 0;
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = plane + (oy * sh - ph + ky) * w + ox * sw - pw;
            for (let kx = kxLo; kx < kxHi; kx++) acc = Math.fround(acc + x[row + kx]);
          }
          const count = countIncludePad ? kh * kw : (kyHi - kyLo) * (kxHi - kxLo);
          y[o] = acc / count;
        }
      }
    }
  },
});

/**
 * Gradient of average pooling: buffers `[dy, dx]`, params as the forward. The WGSL gathers
 * dy[o]/count(o) over the windows covering each dx element; the CPU twin scatters windows in
 * output order, adding each element's terms in the same order from 0.
 */
export const avgPoolBackwardKernel = defineKernel(shaderSources['pool/avg-backward'], {
  dispatch: (p) => linearDispatch(p.planes * p.h * p.w, 256),
  cpu: ([dy, dx], p) => {
    const { planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw, countIncludePad } = p;
    dx.fill(0, 0, planes * h * w);
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const plane = pl * h * w;
      for (let oy = 0; oy < ho; oy++) {
        const kyLo = tapLo(oy, sh, ph);
        const kyHi = tapHi(oy, kh, sh, ph, h);
        for (let ox = 0; ox < wo; ox++, o++) {
          const kxLo = tapLo(ox, sw, pw);
          const kxHi = tapHi(ox, kw, sw, pw, w);
          const count = countIncludePad ? kh * kw : (kyHi - kyLo) * (kxHi - kxLo);
          const v = Math.fround(dy[o] / count);
          for (let ky = kyLo; ky < kyHi; ky++) {
            const row = plane + (oy * sh - ph + ky) * w + ox * sw - pw;
            for (let kx = kxLo; kx < kxHi; kx++) dx[row + kx] += v;
          }
        }
      }
    }
  },
});
