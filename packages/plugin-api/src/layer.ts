/**
 * What a cost model knows about a network: one {@link LayerInfo} per quantized conv / linear
 * layer and one {@link BitAssignment} per layer. Both are plain data so that any package (or a
 * third party) can produce and consume them without depending on the engine.
 */

/** Bit-width granularity of the weights: one per layer, or one per output channel (kernel). */
export type Granularity = 'layer' | 'kernel';

/**
 * Bit-widths that are fixed regardless of the search (FRACBITS.md §2 "First and last layers"):
 * the first conv has `{ w: 8, a: 8 }` (its unquantized input image is counted as 8-bit), the last
 * linear `{ w: 8 }`. Cost models use a pinned value instead of the assigned one and give it a zero
 * gradient.
 */
export interface PinnedBits {
  readonly w?: number;
  readonly a?: number;
}

/**
 * One quantizable layer. Counts are for ONE input image (batch 1).
 *
 * @example A 3×3 conv, 16→32 channels, stride 2, on a 16×15×15 input:
 * ```ts
 * const layer: LayerInfo = {
 *   name: 'stage2.conv1', kind: 'conv', inChannels: 16, outChannels: 32,
 *   kernel: [3, 3], stride: [2, 2], groups: 1,
 *   inputShape: [16, 15, 15], outputShape: [32, 8, 8],
 *   macs: 3 * 3 * 16 * 32 * 8 * 8, params: 3 * 3 * 16 * 32, hasBias: false,
 * };
 * ```
 */
export interface LayerInfo {
  /** Unique name, e.g. the module path `'layer1.0.conv1'`. */
  readonly name: string;
  readonly kind: 'conv' | 'linear';
  readonly inChannels: number;
  readonly outChannels: number;
  /** Kernel size `[h, w]`; `[1, 1]` for linear layers. */
  readonly kernel: readonly [number, number];
  /** Stride `[h, w]`; `[1, 1]` for linear layers. */
  readonly stride: readonly [number, number];
  /** Convolution groups (`inChannels` for depthwise); 1 for linear layers. */
  readonly groups: number;
  /** Input shape of one image: `[C, H, W]` for convs, `[features]` for linear layers. */
  readonly inputShape: readonly number[];
  /** Output shape of one image: `[C, H, W]` or `[features]`. */
  readonly outputShape: readonly number[];
  /** Multiply-accumulates for one image: `kh·kw·(inChannels/groups)·outChannels·Hout·Wout`. */
  readonly macs: number;
  /** Weight count, bias excluded: `kh·kw·(inChannels/groups)·outChannels`. */
  readonly params: number;
  /** Whether the layer has a bias (`outChannels` values, kept in float32). */
  readonly hasBias: boolean;
  /** Bit-widths fixed by the method (first conv, last linear); absent for searchable layers. */
  readonly pinned?: PinnedBits;
}

/**
 * Bit-widths of one layer, fractional (clamped λ̂ during the search) or integer (after
 * discretisation). Values lie in [0, 8] in practice; 0 bits means a pruned channel.
 *
 * @example Layer-wise W3.5 A4.2, and kernel-wise for a 3-channel layer:
 * ```ts
 * const layerwise: BitAssignment = { w: [3.5], a: 4.2 };
 * const kernelwise: BitAssignment = { w: [2.5, 0, 6], a: 4 };
 * ```
 */
export interface BitAssignment {
  /** Weight bits: length 1 (layer-wise) or one entry per output channel (kernel-wise). */
  readonly w: readonly number[];
  /** Bits of the layer's INPUT activation. */
  readonly a: number;
}
