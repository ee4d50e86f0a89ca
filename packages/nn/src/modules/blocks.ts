/** Building blocks of the zoo's CNNs, named as in torchvision so state dicts line up. */
import { add, formatShape, type Rng, type Shape, shapesEqual, type Tensor } from '@fracbits/tensor';
import { Identity, ReLU, ReLU6 } from './activation.js';
import { BatchNorm2d } from './batchnorm.js';
import { Sequential } from './container.js';
import { Conv2d } from './conv.js';
import { Module } from './module.js';
import { ChannelPadShortcut } from './shortcut.js';

export type Activation = 'relu' | 'relu6' | 'none';

function activation(kind: Activation): Module | null {
  if (kind === 'relu') return new ReLU();
  if (kind === 'relu6') return new ReLU6();
  return null;
}

export interface ConvBnActOptions {
  stride?: number;
  groups?: number;
  /** Default 'relu'. */
  activation?: Activation;
  rng?: Rng;
}

/**
 * Conv (no bias, "same" padding for odd kernels) → BatchNorm → activation, as torchvision's
 * Conv2dNormActivation: a Sequential with children 0 (conv), 1 (bn), 2 (activation).
 */
export function convBnAct(
  inChannels: number,
  outChannels: number,
  kernel: number,
  options: ConvBnActOptions = {},
): Sequential {
  const conv = new Conv2d(inChannels, outChannels, kernel, {
    stride: options.stride ?? 1,
    padding: Math.floor((kernel - 1) / 2),
    groups: options.groups ?? 1,
    bias: false,
    rng: options.rng,
  });
  const block = new Sequential(conv, new BatchNorm2d(outChannels));
  const act = activation(options.activation ?? 'relu');
  if (act) block.append(act);
  return block;
}

function checkSameShape(what: string, a: Shape, b: Shape): void {
  if (!shapesEqual(a, b))
    throw new Error(`${what}: main path gives ${formatShape(a)} but the shortcut gives ${formatShape(b)}`);
}

export interface ResidualOptions {
  /** Applied to the input for the skip path (default: identity). */
  shortcut?: Module;
  /** Applied after the sum (default: none). */
  post?: Module;
}

/** A generic residual: post(body(x) + shortcut(x)). Children: body, shortcut, post. */
export class Residual extends Module {
  body: Module;
  shortcut: Module;
  post: Module;

  constructor(body: Module, options: ResidualOptions = {}) {
    super();
    this.body = this.registerModule('body', body);
    this.shortcut = this.registerModule('shortcut', options.shortcut ?? new Identity());
    this.post = this.registerModule('post', options.post ?? new Identity());
  }

  override outputShape(input: Shape): number[] {
    const main = this.body.outputShape(input);
    checkSameShape('Residual', main, this.shortcut.outputShape(input));
    return this.post.outputShape(main);
  }

  forward(x: Tensor): Tensor {
    return this.post.call(add(this.body.call(x), this.shortcut.call(x)));
  }
}

export interface BasicBlockOptions {
  rng?: Rng;
  /**
   * Shortcut when the shape changes: 'B' (default, torchvision) a 1×1 strided conv + BatchNorm
   * named `downsample`; 'A' (He et al.'s CIFAR ResNets) strided subsampling with zero-padded
   * extra channels, parameter-free.
   */
  shortcut?: 'A' | 'B';
}

/**
 * ResNet's basic block (torchvision layout): relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
 * 3×3 convs, the first one strided. Children: conv1, bn1, relu, conv2, bn2[, downsample].
 */
export class BasicBlock extends Module {
  conv1: Module;
  bn1: Module;
  relu: Module;
  conv2: Module;
  bn2: Module;
  downsample: Module | null = null;

  constructor(inChannels: number, outChannels: number, stride = 1, options: BasicBlockOptions = {}) {
    super();
    const rng = options.rng;
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false, rng }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outChannels));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false, rng }),
    );
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outChannels));
    if (stride !== 1 || inChannels !== outChannels) {
      const downsample =
        options.shortcut === 'A'
          ? new ChannelPadShortcut(inChannels, outChannels, stride)
          : new Sequential(
              new Conv2d(inChannels, outChannels, 1, { stride, bias: false, rng }),
              new BatchNorm2d(outChannels),
            );
      this.downsample = this.registerModule('downsample', downsample);
    }
  }

  override outputShape(input: Shape): number[] {
    let s = input;
    for (const m of [this.conv1, this.bn1, this.relu, this.conv2, this.bn2]) s = m.outputShape(s);
    checkSameShape('BasicBlock', s, this.downsample ? this.downsample.outputShape(input) : input);
    return [...s];
  }

  forward(x: Tensor): Tensor {
    const y = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
    const skip = this.downsample ? this.downsample.call(x) : x;
    return this.relu.call(add(y, skip));
  }
}

/**
 * MobileNetV2's inverted residual (torchvision layout): an optional 1×1 expansion, a 3×3
 * depthwise conv (both BN + ReLU6), a linear 1×1 projection + BN, and a skip when stride is 1
 * and the channel count is kept. Child: conv (a Sequential).
 */
export class InvertedResidual extends Module {
  readonly useResidual: boolean;
  conv: Sequential;

  constructor(
    inChannels: number,
    outChannels: number,
    stride: number,
    expandRatio: number,
    options: { rng?: Rng } = {},
  ) {
    super();
    if (stride !== 1 && stride !== 2)
      throw new Error(`InvertedResidual: stride must be 1 or 2, got ${stride}`);
    const rng = options.rng;
    const hidden = Math.round(inChannels * expandRatio);
    this.useResidual = stride === 1 && inChannels === outChannels;
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(convBnAct(inChannels, hidden, 1, { activation: 'relu6', rng }));
    layers.push(
      convBnAct(hidden, hidden, 3, { stride, groups: hidden, activation: 'relu6', rng }),
      new Conv2d(hidden, outChannels, 1, { bias: false, rng }),
      new BatchNorm2d(outChannels),
    );
    this.conv = this.registerModule('conv', new Sequential(...layers));
  }

  override outputShape(input: Shape): number[] {
    const out = this.conv.outputShape(input);
    if (this.useResidual) checkSameShape('InvertedResidual', out, input);
    return out;
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.call(x);
    return this.useResidual ? add(x, y) : y;
  }
}

/**
 * MobileNetV1's depthwise-separable block: 3×3 depthwise conv + BN + ReLU, then 1×1 pointwise
 * conv + BN + ReLU. Children: depthwise, pointwise (each a convBnAct Sequential).
 */
export class DepthwiseSeparable extends Module {
  depthwise: Sequential;
  pointwise: Sequential;

  constructor(inChannels: number, outChannels: number, stride: number, options: { rng?: Rng } = {}) {
    super();
    const rng = options.rng;
    this.depthwise = this.registerModule(
      'depthwise',
      convBnAct(inChannels, inChannels, 3, { stride, groups: inChannels, rng }),
    );
    this.pointwise = this.registerModule('pointwise', convBnAct(inChannels, outChannels, 1, { rng }));
  }

  override outputShape(input: Shape): number[] {
    return this.pointwise.outputShape(this.depthwise.outputShape(input));
  }

  forward(x: Tensor): Tensor {
    return this.pointwise.call(this.depthwise.call(x));
  }
}
