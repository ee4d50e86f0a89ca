/**
 * `exportPacked`: a model quantized by @fracbits/core at integer bits → the `.fbpk` packed format
 * of @fracbits/packed (weights at exactly their per-channel bits, PACT input codes, run by its
 * WebGPU runtime with integer dot products or by its CPU twin).
 */
import { quantizedLayers } from '@fracbits/core';
import type { Module } from '@fracbits/nn';
import { type LayerInput, type PackedModelSpec, writePackedModel } from '@fracbits/packed';
import { formatShape, type Shape } from '@fracbits/tensor';
import { inEvalMode, pathName, readModuleData, withModuleContext } from '../export/walk.js';
import { isIdentity } from './order.js';
import {
  type PackedLayerExport,
  type PackedValue,
  type PackedWriteContext,
  packedWriterFor,
} from './writer.js';

export interface PackedExportOptions {
  /** One sample's input shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** Stored in the manifest's `meta` (with `producer` and `bits`), e.g. budget, cost, accuracy. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface PackedSpecExport {
  /** The model as `@fracbits/packed`'s writer takes it (`writePackedModel(spec)` gives the file). */
  readonly spec: PackedModelSpec;
  /** The quantized layers in execution order, with their bits and weight bytes. */
  readonly layers: PackedLayerExport[];
}

const SUPPORTED =
  "core's QConv2d/QLinear, ReLU, BatchNorm1d/2d, MaxPool2d, AvgPool2d, GlobalAvgPool, AdaptiveAvgPool2d(1), Flatten, Identity, Dropout, Sequential, Residual, BasicBlock, InvertedResidual, DepthwiseSeparable, ChannelPadShortcut";

/**
 * Walks a quantized model into a packed model description (see {@link exportPacked}); async
 * because parameters and quantized weights are read back from the model's backend once.
 */
export async function buildPackedSpec(
  model: Module,
  options: PackedExportOptions,
): Promise<PackedSpecExport> {
  const caller = 'exportPacked';
  const inputShape = [...options.inputShape];
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(
      `${caller}: inputShape must be positive integers without the batch, got ${formatShape(inputShape)}`,
    );
  }
  if (quantizedLayers(model).length === 0) {
    throw new Error(`${caller}: the model has no quantized layer (quantize it with @fracbits/core first)`);
  }
  const data = await readModuleData(
    model,
    (m, path) => {
      const writer = packedWriterFor(m);
      if (!writer) {
        throw new Error(
          `${caller}: module "${pathName(path)}" (${m.constructor.name}) has no packed equivalent (supported: ${SUPPORTED}; others with registerPackedWriter)`,
        );
      }
      return writer.reads?.(m) ?? [];
    },
    caller,
  );
  return inEvalMode(model, () => {
    const layers: LayerInput[] = [];
    const records: PackedLayerExport[] = [];
    const taken = new Set<string>(['input']);
    const unique = (name: string) => {
      let n = name;
      for (let i = 2; taken.has(n); i++) n = `${name}#${i}`;
      taken.add(n);
      return n;
    };
    const ctx: PackedWriteContext = {
      caller,
      emit(layer, inputs, shape, order) {
        const name = unique(layer.name);
        layers.push({ ...layer, name, inputs: inputs.map((v) => v.name) });
        return { name, shape: [...shape], order };
      },
      write(module, input, path, want) {
        // Every module has a writer: readModuleData checked the whole tree.
        const writer = packedWriterFor(module)!;
        return withModuleContext(caller, module, path, () =>
          writer.write(ctx, module, input, path, data.get(module) ?? [], want),
        );
      },
      channelwise: (module) => packedWriterFor(module)?.channelwise === true,
      record: (layer) => void records.push(layer),
    };
    const input: PackedValue = { name: 'input', shape: inputShape, order: null };
    const out = ctx.write(model, input, '');
    if (layers.length === 0 || out.name === 'input')
      throw new Error(`${caller}: the model's output is its input; nothing to pack`);
    if (!isIdentity(out.order)) {
      throw new Error(
        `${caller}: the model's output channels end in a reordered layout (a channel-padding shortcut with no conv/linear layer after it)`,
      );
    }
    const meta = {
      producer: '@fracbits/export',
      bits: records.map((l) => ({ name: l.name, w: l.weightBits, a: l.inputBits })),
      ...options.metadata,
    };
    return { spec: { input: { shape: inputShape }, layers, output: out.name, meta }, layers: records };
  });
}

/**
 * A model quantized by @fracbits/core with integer bits (after `setIntegerBits`) as a packed
 * `.fbpk` file: per-channel weight bits (0-bit channels store no codes), PACT bits and clip per
 * quantized input (the first conv's image input stays float), BatchNorm, pooling, flatten and
 * residual adds. Unsupported modules (double-sided PACT, ReLU6, …) are errors naming the module.
 */
export async function exportPacked(model: Module, options: PackedExportOptions): Promise<Uint8Array> {
  const { spec } = await buildPackedSpec(model, options);
  try {
    return writePackedModel(spec);
  } catch (err) {
    throw new Error(`exportPacked: ${(err as Error).message}`, { cause: err });
  }
}
