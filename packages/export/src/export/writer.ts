/**
 * Module tree → ONNX graph. Each module class has a {@link ModuleWriter} (registered with
 * {@link registerOnnxWriter}; the most specific class wins): composites write their children in
 * their forward's order, layers append nodes and initializers. Writing runs in two phases so it
 * works on every backend: first every writer's `reads` (parameters, or values computed with the
 * engine such as quantized weights) is collected and read back with one `await`, then the walk
 * runs synchronously on those host copies.
 */
import type { Module } from '@fracbits/nn';
import { formatShape, type Shape, type Tensor } from '@fracbits/tensor';
import { type BuildOptions, GraphBuilder } from '../proto/builder.js';
import type { AttributeProto, ModelProto } from '../proto/types.js';
import { DataType } from '../proto/types.js';
import { NN_WRITERS } from './nn-writers.js';
import { QDQ_WRITERS } from './qdq.js';
import {
  inEvalMode,
  type ModuleClass,
  pathName,
  readModuleData,
  WriterRegistry,
  withModuleContext,
} from './walk.js';

/** A value in the graph being written; `shape` is for one sample with a batch of 1 first. */
export interface OnnxValue {
  readonly name: string;
  readonly shape: readonly number[];
}

/** 'float': plain float graph; 'qdq': quantized layers as DequantizeLinear weights + activation QDQ. */
export type ExportFormat = 'float' | 'qdq';

/** What a quantized-layer writer reports about one layer (see LayerExport in qdq.ts). */
export interface LayerRecord {
  readonly name: string;
}

export interface WriteContext {
  readonly graph: GraphBuilder;
  readonly format: ExportFormat;
  /** Format-specific options (e.g. the QDQ weight encoding). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Writes `module` applied to `input` with its registered writer; returns its output. */
  write(module: Module, input: OnnxValue, path: string): OnnxValue;
  /** Appends a one-output node named after `name`; `shape` is its output's (batch-1) shape. */
  op(
    opType: string,
    inputs: readonly string[],
    shape: readonly number[],
    name: string,
    attributes?: AttributeProto[],
  ): OnnxValue;
  /** Records a layer for the export result (weight bytes, bits). */
  record(layer: LayerRecord): void;
}

export interface ModuleWriter<M extends Module = Module> {
  /**
   * Tensors the writer needs on the host, in a fixed order (called under noGrad inside a scope;
   * tensors it computes are freed after the read-back).
   */
  reads?(module: M, format: ExportFormat): Tensor[];
  /** Appends the module's nodes; `data` holds the host values of `reads`, in the same order. */
  write(
    ctx: WriteContext,
    module: M,
    input: OnnxValue,
    path: string,
    data: readonly Float32Array[],
  ): OnnxValue;
}

const registry = new WriterRegistry<ModuleWriter>(
  () => [...NN_WRITERS, ...QDQ_WRITERS] as [ModuleClass, ModuleWriter][],
);

/**
 * Registers how a module class is written to ONNX (replacing an earlier registration). Built-in
 * writers cover @fracbits/nn's layers and blocks, the imported graph module and @fracbits/core's
 * quantized layers; register your own module classes the same way.
 */
export function registerOnnxWriter<M extends Module>(cls: ModuleClass<M>, writer: ModuleWriter<M>): void {
  registry.set(cls, writer as unknown as ModuleWriter);
}

/** The writer of the most specific registered class of `module`, or undefined. */
export function writerFor(module: Module): ModuleWriter | undefined {
  return registry.find(module);
}

export interface WriteModelOptions {
  readonly format: ExportFormat;
  /** One sample's input shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  readonly inputName?: string;
  readonly outputName?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly build?: BuildOptions;
  /** Who is asking, for error messages ('exportOnnxFloat'). */
  readonly caller: string;
}

export interface WrittenModel {
  readonly model: ModelProto;
  readonly layers: LayerRecord[];
  readonly outputShape: number[];
}

/** Reads back every writer's `reads` for the whole tree (one await). */
function prepare(root: Module, format: ExportFormat, caller: string): Promise<Map<Module, Float32Array[]>> {
  return readModuleData(
    root,
    (m, path) => {
      const writer = writerFor(m);
      if (!writer) {
        throw new Error(
          `${caller}: no ONNX writer for module "${pathName(path)}" (${m.constructor.name}); register one with registerOnnxWriter`,
        );
      }
      return writer.reads?.(m, format) ?? [];
    },
    caller,
  );
}

/** Writes a model as an ONNX graph with one float input [N, ...inputShape] and one output. */
export async function writeModel(root: Module, options: WriteModelOptions): Promise<WrittenModel> {
  const { caller, format } = options;
  const inputShape = [...options.inputShape];
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(
      `${caller}: inputShape must be positive integers without the batch, got ${formatShape(inputShape)}`,
    );
  }
  const data = await prepare(root, format, caller);
  const graph = new GraphBuilder();
  const layers: LayerRecord[] = [];
  return inEvalMode(root, () => {
    const ctx: WriteContext = {
      graph,
      format,
      options: options.options ?? {},
      write(module, input, path) {
        const writer = writerFor(module);
        if (!writer) {
          throw new Error(
            `${caller}: no ONNX writer for module "${pathName(path)}" (${module.constructor.name})`,
          );
        }
        return withModuleContext(caller, module, path, () =>
          writer.write(ctx, module, input, path, data.get(module) ?? []),
        );
      },
      op(opType, inputs, shape, name, attributes) {
        const [out] = graph.node(opType, inputs, { name, attributes, outputs: [name] });
        return { name: out, shape: [...shape] };
      },
      record(layer) {
        layers.push(layer);
      },
    };
    const x = graph.input(options.inputName ?? 'input', DataType.FLOAT, ['N', ...inputShape]);
    const last = ctx.write(root, { name: x, shape: [1, ...inputShape] }, '');
    // A named Identity gives every exported file the same output name.
    const y = ctx.op('Identity', [last.name], last.shape, options.outputName ?? 'output');
    graph.output(y.name, DataType.FLOAT, ['N', ...y.shape.slice(1)]);
    return { model: graph.build(options.build), layers, outputShape: y.shape.slice(1) };
  });
}
