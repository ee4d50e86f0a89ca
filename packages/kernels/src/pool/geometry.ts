import type { Params } from '../descriptor.js';

/** A 2-D pooling window over `planes` = N·C planes of h×w, producing ho×wo per plane. */
export interface Pool2dGeometry {
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly ho: number;
  readonly wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
}

/** Params of the `pool/*` kernels (`countIncludePad` matters to the average kernels only). */
export function pool2dParams(g: Pool2dGeometry, countIncludePad = false): Params {
  return { ...g, countIncludePad: countIncludePad ? 1 : 0 };
}

/**
 * The window taps k in [tapLo, tapHi) are those whose position o·s − p + k lies inside [0, size)
 * (two scalar functions rather than a pair, so the CPU twins' loops allocate nothing).
 */
export function tapLo(o: number, s: number, p: number): number {
  return Math.max(0, p - o * s);
}

export function tapHi(o: number, k: number, s: number, p: number, size: number): number {
  return Math.max(tapLo(o, s, p), Math.min(k, size + p - o * s));
}
