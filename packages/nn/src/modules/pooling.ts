import {
  avgPool2d,
  formatShape,
  globalAvgPool2d,
  maxPool2d,
  type Pair,
  reshape,
  type Shape,
  type Tensor,
} from '@fracbits/tensor';
import { convOutSize } from './conv.js';
import { pair } from './init.js';
import { Module } from './module.js';

export interface PoolOptions {
  /** Default: the kernel size (as PyTorch). */
  stride?: Pair;
  padding?: Pair;
}

export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded zeros count in the average's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function expectNchw(what: string, s: Shape): void {
  if (s.length !== 4) throw new Error(`${what}: expected input [N, C, H, W], got ${formatShape(s)}`);
}

abstract class Pool2d extends Module {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];

  constructor(kernel: Pair, options: PoolOptions) {
    super();
    const name = this.constructor.name;
    this.kernel = pair(kernel, `${name}: kernel`, 1);
    this.stride = pair(options.stride ?? this.kernel, `${name}: stride`, 1);
    this.padding = pair(options.padding ?? 0, `${name}: padding`, 0);
    if (this.padding[0] * 2 > this.kernel[0] || this.padding[1] * 2 > this.kernel[1]) {
      throw new Error(
        `${name}: padding ${formatShape(this.padding)} must be at most half the kernel ${formatShape(this.kernel)}`,
      );
    }
  }

  override outputShape(input: Shape): number[] {
    const name = this.constructor.name;
    expectNchw(name, input);
    const h = convOutSize(input[2], this.kernel[0], this.stride[0], this.padding[0]);
    const w = convOutSize(input[3], this.kernel[1], this.stride[1], this.padding[1]);
    if (h <= 0 || w <= 0)
      throw new Error(
        `${name}: input ${formatShape(input)} is smaller than the window ${formatShape(this.kernel)}`,
      );
    return [input[0], input[1], h, w];
  }
}

export class MaxPool2d extends Pool2d {
  constructor(kernel: Pair, options: PoolOptions = {}) {
    super(kernel, options);
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    return maxPool2d(x, { kernel: this.kernel, stride: this.stride, padding: this.padding });
  }
}

export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;

  constructor(kernel: Pair, options: AvgPoolOptions = {}) {
    super(kernel, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    return avgPool2d(x, {
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
      countIncludePad: this.countIncludePad,
    });
  }
}

/** Mean over H and W: [N, C, H, W] → [N, C]. */
export class GlobalAvgPool extends Module {
  override outputShape(input: Shape): number[] {
    expectNchw('GlobalAvgPool', input);
    return [input[0], input[1]];
  }

  forward(x: Tensor): Tensor {
    expectNchw('GlobalAvgPool', x.shape);
    return globalAvgPool2d(x);
  }
}

/** PyTorch's AdaptiveAvgPool2d for output size 1 (the only size models here need): → [N, C, 1, 1]. */
export class AdaptiveAvgPool2d extends Module {
  constructor(outputSize: Pair = 1) {
    super();
    const [h, w] = pair(outputSize, 'AdaptiveAvgPool2d: outputSize', 1);
    if (h !== 1 || w !== 1) {
      throw new Error(
        `AdaptiveAvgPool2d: only output size 1 is supported, got ${JSON.stringify(outputSize)}`,
      );
    }
  }

  override outputShape(input: Shape): number[] {
    expectNchw('AdaptiveAvgPool2d', input);
    return [input[0], input[1], 1, 1];
  }

  forward(x: Tensor): Tensor {
    expectNchw('AdaptiveAvgPool2d', x.shape);
    return reshape(globalAvgPool2d(x), [x.shape[0], x.shape[1], 1, 1]);
  }
}
