import { conv2d, formatShape, type Pair, type Rng, type Shape, type Tensor } from '@fracbits/tensor';
import { defaultRng, initBias, initWeight, pair, positiveInt } from './init.js';
import { Module } from './module.js';
import { type LayerGeometry, traceLayer } from './trace.js';

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Whether the layer has a bias (default true, as PyTorch). */
  bias?: boolean;
  rng?: Rng;
}

/** Output size of one spatial dimension of a convolution or pooling window. */
export function convOutSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation = 1,
): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** 2-D convolution over NCHW input; weight [O, C/groups, kh, kw]. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;
  /** Parameters that take weight decay (see splitDecay). */
  readonly decayParameterNames = ['weight'] as const;

  constructor(inChannels: number, outChannels: number, kernel: Pair, options: Conv2dLayerOptions = {}) {
    super();
    this.inChannels = positiveInt(inChannels, 'Conv2d: inChannels');
    this.outChannels = positiveInt(outChannels, 'Conv2d: outChannels');
    this.kernelSize = pair(kernel, 'Conv2d: kernel', 1);
    this.stride = pair(options.stride ?? 1, 'Conv2d: stride', 1);
    this.padding = pair(options.padding ?? 0, 'Conv2d: padding', 0);
    this.dilation = pair(options.dilation ?? 1, 'Conv2d: dilation', 1);
    this.groups = positiveInt(options.groups ?? 1, 'Conv2d: groups');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(
        `Conv2d: groups ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    const rng = options.rng ?? defaultRng();
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', initWeight(shape, rng));
    this.bias = this.registerParameter(
      'bias',
      options.bias === false ? null : initBias(outChannels, shape, rng),
    );
  }

  get geometry(): LayerGeometry {
    return {
      kind: 'conv',
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernel: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      hasBias: this.bias !== null,
    };
  }

  override outputShape(input: Shape): number[] {
    const out = this.shapeOf(input);
    traceLayer(this, this.geometry, input, out);
    return out;
  }

  forward(x: Tensor): Tensor {
    const out = this.shapeOf(x.shape);
    traceLayer(this, this.geometry, x.shape, out);
    return conv2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  private shapeOf(input: Shape): number[] {
    if (input.length !== 4 || input[1] !== this.inChannels) {
      throw new Error(
        `Conv2d(${this.inChannels}→${this.outChannels}): expected input [N, ${this.inChannels}, H, W], got ${formatShape(input)}`,
      );
    }
    const [kh, kw] = this.kernelSize;
    const h = convOutSize(input[2], kh, this.stride[0], this.padding[0], this.dilation[0]);
    const w = convOutSize(input[3], kw, this.stride[1], this.padding[1], this.dilation[1]);
    if (h <= 0 || w <= 0) {
      throw new Error(
        `Conv2d(${this.inChannels}→${this.outChannels}): input ${formatShape(input)} is smaller than the ${kh}×${kw} kernel window`,
      );
    }
    return [input[0], this.outChannels, h, w];
  }
}
