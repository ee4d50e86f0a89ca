/**
 * Module tree → packed layers (the `@fracbits/packed` writer's input), on the walk shared with the
 * ONNX exporters (../export/walk.ts): one packed writer per module class, host values read back
 * once, then a synchronous walk that appends layers in execution order.
 */

import type { Module } from '@fracbits/nn';
import type { LayerInput } from '@fracbits/packed';
import type { Tensor } from '@fracbits/tensor';
import { type ModuleClass, WriterRegistry } from '../export/walk.js';
import { PACKED_WRITERS } from './builtin.js';
import type { Order } from './order.js';

/** A value of the packed graph: the layer that produces it, its per-sample shape, its channel order. */
export interface PackedValue {
  /** Name of the packed layer whose output this is ('input' for the model input). */
  readonly name: string;
  /** Per-sample shape, no batch: [C, H, W] or [features]. */
  readonly shape: readonly number[];
  /** Channels (features for rank-1 values) as stored, by engine index; null: the engine's order. */
  readonly order: Order | null;
}

/** What the packed export stored for one quantized layer of the model. */
export interface PackedLayerExport {
  /** Module path, e.g. 'layer1.0.conv1'. */
  readonly name: string;
  readonly kind: 'conv' | 'linear';
  /** Bits per output channel, in the model's channel order (0: pruned, no codes stored). */
  readonly weightBits: number[];
  /** Bits of the PACT-quantized input, or null for a float input (the first conv). */
  readonly inputBits: number | null;
  /** The PACT clip |α|, or null. */
  readonly alpha: number | null;
  readonly weightCount: number;
  /** Σ bits / 8 over the weights: the weights at exactly their bit-widths. */
  readonly packedBytes: number;
}

export interface PackedWriteContext {
  /** Who is exporting, for error messages ('exportPacked'). */
  readonly caller: string;
  /**
   * Appends `layer` reading `inputs` (its name is made unique; `inputs` replace the layer's own)
   * and returns its output value.
   */
  emit(
    layer: LayerInput,
    inputs: readonly PackedValue[],
    shape: readonly number[],
    order: Order | null,
  ): PackedValue;
  /**
   * Writes `module` applied to `input` with its registered writer. `want` asks for the output's
   * channel order (null: the engine's own); writers that set an order honour it, others ignore
   * it, and the caller checks what it got.
   */
  write(module: Module, input: PackedValue, path: string, want?: Order | null): PackedValue;
  /** Whether `module`'s writer is channel-wise (see PackedWriter.channelwise). */
  channelwise(module: Module): boolean;
  /** Records a quantized layer for the export result. */
  record(layer: PackedLayerExport): void;
}

export interface PackedWriter<M extends Module = Module> {
  /** Tensors the writer needs on the host, in a fixed order (see ModuleWriter.reads). */
  reads?(module: M): Tensor[];
  write(
    ctx: PackedWriteContext,
    module: M,
    input: PackedValue,
    path: string,
    data: readonly Float32Array[],
    want: Order | null | undefined,
  ): PackedValue;
  /**
   * The module works channel by channel (ReLU, BN, pooling, identity): its output has its input's
   * channel order, so a container passes an order request on to the module before it.
   */
  readonly channelwise?: boolean;
}

const registry = new WriterRegistry<PackedWriter>(
  () => PACKED_WRITERS as unknown as [ModuleClass, PackedWriter][],
);

/**
 * Registers how a module class is written to the packed format (replacing an earlier
 * registration). Built-in writers cover core's QConv2d/QLinear and nn's ReLU, BatchNorm, pooling,
 * Flatten, Identity/Dropout, Sequential, Residual, BasicBlock, InvertedResidual,
 * DepthwiseSeparable and ChannelPadShortcut.
 */
export function registerPackedWriter<M extends Module>(cls: ModuleClass<M>, writer: PackedWriter<M>): void {
  registry.set(cls, writer as unknown as PackedWriter);
}

/** The packed writer of the most specific registered class of `module`, or undefined. */
export function packedWriterFor(module: Module): PackedWriter | undefined {
  return registry.find(module);
}
