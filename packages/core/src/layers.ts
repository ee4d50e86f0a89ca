/**
 * Quantized conv / linear layers (FRACBITS.md §1–2): wrap an existing `Conv2d` or `Linear`,
 * quantize its weights with the DoReFa quantizer at λ̂w and its INPUT with PACT at λ̂a.
 *
 * The wrapper re-registers the wrapped layer's `weight` and `bias` under the same names, so a
 * float checkpoint's keys stay valid (load it with `strict: false`: only the bit-width and clip
 * parameters are new). It adds `lambda_w` (1 or C_out entries), `lambda_a` and `alpha` unless
 * those are pinned / unquantized; none of them takes weight decay (`decayParameterNames`).
 */

import { Conv2d, convOutSize, type LayerGeometry, Linear, Module, traceLayer } from '@fracbits/nn';
import type { PinnedBits } from '@fracbits/plugin-api';
import { conv2d, formatShape, linear, type Shape, type Tensor, tensor } from '@fracbits/tensor';
import { BitWidth, checkMode, initialLambda, type QuantMode } from './bits.js';
import { pact, quantizeWeight } from './quantizers.js';

export type Granularity = 'layer' | 'kernel';

/** Integer bits of one layer: weights (1 value or one per channel) and the input activation. */
export interface IntegerLayerBits {
  readonly w: readonly number[] | number;
  readonly a?: number;
}

export interface QuantLayerOptions {
  /** One λw per layer or per output channel (default 'layer'). */
  readonly granularity?: Granularity;
  /** Budget-equivalent bits: λ starts at targetBits + 0.5 in search mode, targetBits otherwise. */
  readonly targetBits: number;
  /** [bmin, bmax] of every learnable λ (default [2, 8]; bmin 0 allows pruning channels). */
  readonly bitsRange?: readonly [number, number];
  /** [bmin, bmax] of λa when it differs from `bitsRange` (pruning: λw in [0, 8], λa in [2, 8]). */
  readonly activationBitsRange?: readonly [number, number];
  /** 'search' (default), 'fixed' or 'float' (see QuantMode). */
  readonly mode?: QuantMode;
  /** Pin the weights at these bits (first conv, last linear: 8). */
  readonly pinWeightBits?: number;
  /**
   * Whether the input is quantized (default true). The first conv's input image is not; it is
   * counted at `inputBits` (8) in costs.
   */
  readonly quantizeInput?: boolean;
  /** Bits the cost models count for an unquantized input (default 8). */
  readonly inputBits?: number;
  /** Double-sided PACT for an input that can be negative (default false: input follows a ReLU). */
  readonly signedInput?: boolean;
  /** Initial clip α (default 8 for convs, 10 for linear layers, FRACBITS.md §2). */
  readonly alphaInit?: number;
  /** SAT rescale of the quantized weights (FRACBITS.md §2 option; meant for the last linear). */
  readonly satRescale?: boolean;
}

/** Shared state and forward pass of {@link QConv2d} and {@link QLinear}. */
export abstract class QuantizedLayer<L extends Conv2d | Linear = Conv2d | Linear> extends Module {
  /** Only the weight takes weight decay (read by `splitDecay` in @fracbits/nn). */
  readonly decayParameterNames = ['weight'] as const;
  /** The wrapped float layer (not a child module: its tensors are registered here). */
  readonly layer: L;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly bitsW: BitWidth;
  /** λa, or null when the input is not quantized (first conv). */
  readonly bitsA: BitWidth | null;
  readonly alpha: Tensor | null;
  readonly granularity: Granularity;
  readonly signedInput: boolean;
  readonly inputBits: number;
  readonly satRescale: boolean;
  mode: QuantMode;

  protected constructor(layer: L, options: QuantLayerOptions, defaultAlpha: number) {
    super();
    const who = `${this.constructor.name}`;
    const mode = options.mode ?? 'search';
    checkMode(who, mode);
    const granularity = options.granularity ?? 'layer';
    if (granularity !== 'layer' && granularity !== 'kernel') {
      throw new Error(`${who}: expected granularity 'layer' | 'kernel', got '${granularity}'`);
    }
    const range = options.bitsRange ?? [2, 8];
    const target = options.targetBits;
    if (!(Number.isFinite(target) && target >= range[0] && target <= range[1])) {
      throw new Error(
        `${who}: expected targetBits inside the bit range [${range[0]}, ${range[1]}], got ${target}`,
      );
    }
    if (mode === 'fixed' && !Number.isInteger(target)) {
      throw new Error(`${who}: mode 'fixed' needs integer targetBits, got ${target}`);
    }
    // Search starts off the integer (the λ gradient vanishes on integers); fixed mode uses it.
    const init = mode === 'search' ? initialLambda(target) : target;
    const backend = layer.weight.backend;
    this.layer = layer;
    this.mode = mode;
    this.granularity = granularity;
    this.signedInput = options.signedInput ?? false;
    this.inputBits = options.inputBits ?? 8;
    this.satRescale = options.satRescale ?? false;
    this.weight = this.registerParameter('weight', layer.weight);
    this.bias = this.registerParameter('bias', layer.bias);
    const channels = granularity === 'kernel' ? layer.weight.shape[0] : 1;
    this.bitsW =
      options.pinWeightBits === undefined
        ? BitWidth.learnable(channels, init, range, backend)
        : BitWidth.pinnedAt(options.pinWeightBits);
    if (this.bitsW.lambda) this.registerParameter('lambda_w', this.bitsW.lambda);
    if (options.quantizeInput ?? true) {
      this.bitsA = BitWidth.learnable(1, init, options.activationBitsRange ?? range, backend);
      this.registerParameter('lambda_a', this.bitsA.lambda);
      const alpha = options.alphaInit ?? defaultAlpha;
      if (!(Number.isFinite(alpha) && alpha !== 0))
        throw new Error(`${who}: expected a nonzero finite alphaInit, got ${alpha}`);
      this.alpha = this.registerParameter('alpha', tensor([alpha], [1], { backend }));
    } else {
      this.bitsA = null;
      this.alpha = null;
    }
  }

  /** What the layer computes, for cost models and describeLayers. */
  get geometry(): LayerGeometry {
    return this.layer.geometry;
  }

  /** Bits pinned by the method, as cost models read them (LayerInfo.pinned). */
  get pinned(): PinnedBits | undefined {
    const w = this.bitsW.pinned ?? undefined;
    const a = this.bitsA === null ? this.inputBits : undefined;
    if (w === undefined && a === undefined) return undefined;
    return { ...(w === undefined ? {} : { w }), ...(a === undefined ? {} : { a }) };
  }

  /** The trainable bit-width tensors (λw unless pinned, λa unless unquantized). */
  lambdas(): Tensor[] {
    return [this.bitsW.lambda, this.bitsA?.lambda ?? null].filter((t): t is Tensor => t !== null);
  }

  /** The clamped fractional bit-widths λ̂ (one small readback). */
  async readBits(): Promise<{ w: number[]; a: number }> {
    const [w, a] = await Promise.all([this.bitsW.read(), this.bitsA ? this.bitsA.read() : [this.inputBits]]);
    return { w, a: a[0] };
  }

  readBitsSync(): { w: number[]; a: number } {
    return { w: this.bitsW.readSync(), a: this.bitsA ? this.bitsA.readSync()[0] : this.inputBits };
  }

  /** Throws unless `bits` are valid integer bits for this layer (see BitWidth.checkBits). */
  checkIntegerBits(bits: IntegerLayerBits): void {
    const who = `${this.constructor.name}.setIntegerBits`;
    this.bitsW.checkBits(typeof bits.w === 'number' ? [bits.w] : bits.w, `${who} (weights)`);
    if (this.bitsA && bits.a !== undefined) this.bitsA.checkBits([bits.a], `${who} (activations)`);
  }

  /** Stores integer bits and freezes them (mode 'fixed'); pinned entries must keep their value. */
  setIntegerBits(bits: IntegerLayerBits): void {
    this.checkIntegerBits(bits);
    this.bitsW.setBits(typeof bits.w === 'number' ? [bits.w] : bits.w);
    if (this.bitsA && bits.a !== undefined) this.bitsA.setBits([bits.a]);
    this.mode = 'fixed';
  }

  override outputShape(input: Shape): number[] {
    const out = this.shapeOf(input);
    traceLayer(this, this.geometry, input, out);
    return out;
  }

  forward(x: Tensor): Tensor {
    traceLayer(this, this.geometry, x.shape, this.shapeOf(x.shape));
    if (this.mode === 'float') return this.compute(x, this.weight);
    const mode = this.mode;
    const backend = x.backend;
    const input =
      this.bitsA && this.alpha
        ? pact(x, this.alpha, this.bitsA.forwardBits(mode, backend), { signed: this.signedInput })
        : x;
    const satFanOut = this.satRescale ? this.weight.shape[0] : undefined;
    const wq = quantizeWeight(this.weight, this.bitsW.forwardBits(mode, backend), { satFanOut });
    return this.compute(input, wq);
  }

  override dispose(): void {
    super.dispose();
    this.bitsW.dispose();
    this.bitsA?.dispose();
  }

  /** The wrapped layer's computation with the given (quantized) weight. */
  protected abstract compute(x: Tensor, weight: Tensor): Tensor;
  /** Output shape for an input shape, validated (without tracing the wrapped layer). */
  protected abstract shapeOf(input: Shape): number[];
}

/** A quantized 2-D convolution (FRACBITS.md §2). */
export class QConv2d extends QuantizedLayer<Conv2d> {
  constructor(conv: Conv2d, options: QuantLayerOptions) {
    if (!(conv instanceof Conv2d)) throw new Error('QConv2d: expected a Conv2d to wrap');
    super(conv, options, 8);
  }

  protected compute(x: Tensor, weight: Tensor): Tensor {
    const c = this.layer;
    return conv2d(x, weight, this.bias ?? undefined, {
      stride: c.stride,
      padding: c.padding,
      dilation: c.dilation,
      groups: c.groups,
    });
  }

  protected shapeOf(input: Shape): number[] {
    const c = this.layer;
    if (input.length !== 4 || input[1] !== c.inChannels) {
      throw new Error(
        `QConv2d(${c.inChannels}→${c.outChannels}): expected input [N, ${c.inChannels}, H, W], got ${formatShape(input)}`,
      );
    }
    const dims = [0, 1].map((d) =>
      convOutSize(input[2 + d], c.kernelSize[d], c.stride[d], c.padding[d], c.dilation[d]),
    );
    if (dims.some((v) => v <= 0)) {
      throw new Error(
        `QConv2d(${c.inChannels}→${c.outChannels}): input ${formatShape(input)} is smaller than the kernel window`,
      );
    }
    return [input[0], c.outChannels, dims[0], dims[1]];
  }
}

/** A quantized linear layer (FRACBITS.md §2). */
export class QLinear extends QuantizedLayer<Linear> {
  constructor(fc: Linear, options: QuantLayerOptions) {
    if (!(fc instanceof Linear)) throw new Error('QLinear: expected a Linear to wrap');
    super(fc, options, 10);
  }

  protected compute(x: Tensor, weight: Tensor): Tensor {
    return linear(x, weight, this.bias ?? undefined);
  }

  protected shapeOf(input: Shape): number[] {
    const l = this.layer;
    if (input.length < 1 || input[input.length - 1] !== l.inFeatures) {
      throw new Error(
        `QLinear(${l.inFeatures}→${l.outFeatures}): expected input [..., ${l.inFeatures}], got ${formatShape(input)}`,
      );
    }
    return [...input.slice(0, -1), l.outFeatures];
  }
}
