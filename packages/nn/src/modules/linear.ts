import { formatShape, linear, type Rng, type Shape, type Tensor } from '@fracbits/tensor';
import { defaultRng, initBias, initWeight, positiveInt } from './init.js';
import { Module } from './module.js';
import { type LayerGeometry, traceLayer } from './trace.js';

export interface LinearOptions {
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  rng?: Rng;
}

/** y = x·Wᵀ + b over the last dimension; weight [out, in]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;
  /** Parameters that take weight decay (see splitDecay). */
  readonly decayParameterNames = ['weight'] as const;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = positiveInt(inFeatures, 'Linear: inFeatures');
    this.outFeatures = positiveInt(outFeatures, 'Linear: outFeatures');
    const rng = options.rng ?? defaultRng();
    const shape = [outFeatures, inFeatures];
    this.weight = this.registerParameter('weight', initWeight(shape, rng));
    this.bias = this.registerParameter(
      'bias',
      options.bias === false ? null : initBias(outFeatures, shape, rng),
    );
  }

  get geometry(): LayerGeometry {
    return {
      kind: 'linear',
      inChannels: this.inFeatures,
      outChannels: this.outFeatures,
      kernel: [1, 1],
      stride: [1, 1],
      padding: [0, 0],
      dilation: [1, 1],
      groups: 1,
      hasBias: this.bias !== null,
    };
  }

  override outputShape(input: Shape): number[] {
    const out = this.shapeOf(input);
    traceLayer(this, this.geometry, input, out);
    return out;
  }

  forward(x: Tensor): Tensor {
    traceLayer(this, this.geometry, x.shape, this.shapeOf(x.shape));
    return linear(x, this.weight, this.bias ?? undefined);
  }

  private shapeOf(input: Shape): number[] {
    if (input.length < 2 || input[input.length - 1] !== this.inFeatures) {
      throw new Error(
        `Linear(${this.inFeatures}→${this.outFeatures}): expected input [N, ${this.inFeatures}] or [N, ..., ${this.inFeatures}], got ${formatShape(input)}`,
      );
    }
    return [...input.slice(0, -1), this.outFeatures];
  }
}
