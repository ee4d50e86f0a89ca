import { mul, Rng, type Shape, type Tensor, tensor } from '@fracbits/tensor';
import { Module } from './module.js';

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1 − p); identity in eval. The mask is drawn on the host from the module's own Rng (so runs
 * are reproducible on every backend) and uploaded.
 */
export class Dropout extends Module {
  readonly rng: Rng;

  constructor(
    readonly p = 0.5,
    rng?: Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = rng ?? new Rng(0);
  }

  override outputShape(input: Shape): number[] {
    return [...input];
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keepScale = 1 / (1 - this.p);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.uniform() < this.p ? 0 : keepScale;
    return mul(x, tensor(mask, x.shape, { backend: x.backend }));
  }
}
