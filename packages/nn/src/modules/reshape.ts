import { flatten, formatShape, type Shape, sizeOf, type Tensor } from '@fracbits/tensor';
import { Module } from './module.js';

/** Flattens dimensions from `startDim` on (default 1: [N, C, H, W] → [N, C·H·W]). */
export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
    if (!Number.isInteger(startDim) || startDim < 0)
      throw new Error(`Flatten: startDim must be an integer ≥ 0, got ${startDim}`);
  }

  override outputShape(input: Shape): number[] {
    if (input.length <= this.startDim) {
      throw new Error(
        `Flatten(startDim ${this.startDim}): input ${formatShape(input)} has too few dimensions`,
      );
    }
    return [...input.slice(0, this.startDim), sizeOf(input.slice(this.startDim))];
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    return flatten(x, this.startDim);
  }
}
