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

/** [lo, hi): the window taps k whose position o·s − p + k lies inside [0, size). */
export function windowTaps(o: number, k: number, s: number, p: number, size: number): [number, number] {
  const start = o * s - p;
  const lo = Math.max(0, -start);
  return [lo, Math.max(lo, Math.min(k, size - start))];
}
