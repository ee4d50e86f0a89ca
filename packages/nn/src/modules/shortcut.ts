import { formatShape, pad, type Shape, slice, type Tensor } from '@fracbits/tensor';
import { Module } from './module.js';

/**
 * The parameter-free "option A" shortcut of He et al.'s CIFAR ResNets: keep every stride-th pixel
 * (x[:, :, ::s, ::s]) and zero-pad the new channels, half before and half after (as the widely
 * used PyTorch CIFAR reimplementation does).
 */
export class ChannelPadShortcut extends Module {
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: number,
  ) {
    super();
    if (outChannels < inChannels) {
      throw new Error(`ChannelPadShortcut: outChannels ${outChannels} must be ≥ inChannels ${inChannels}`);
    }
    if (!Number.isInteger(stride) || stride < 1)
      throw new Error(`ChannelPadShortcut: stride must be an integer ≥ 1, got ${stride}`);
  }

  override outputShape(input: Shape): number[] {
    if (input.length !== 4 || input[1] !== this.inChannels) {
      throw new Error(
        `ChannelPadShortcut: expected input [N, ${this.inChannels}, H, W], got ${formatShape(input)}`,
      );
    }
    const s = this.stride;
    return [input[0], this.outChannels, Math.ceil(input[2] / s), Math.ceil(input[3] / s)];
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const s = this.stride;
    const sub = s === 1 ? x : slice(x, [0, 0, 0, 0], [...x.shape], [1, 1, s, s]);
    const extra = this.outChannels - this.inChannels;
    if (extra === 0) return sub;
    const before = Math.floor(extra / 2);
    return pad(sub, [
      [0, 0],
      [before, extra - before],
      [0, 0],
      [0, 0],
    ]);
  }
}
