/**
 * ONNX → @fracbits/nn: `importOnnx(bytes)` decodes and checks the file, converts every node with
 * its converter (ops.ts) into an {@link OnnxGraphModule}, and validates the whole graph's shapes
 * for one sample before returning. Any failure throws an Error naming the node, its op type and
 * the reason, and frees what was built: a model is returned complete or not at all.
 */

import type { Module } from '@fracbits/nn';
import type { LoadedModel } from '@fracbits/plugin-api';
import { tensor } from '@fracbits/tensor';
import { assertValidModel } from '../proto/checker.js';
import { decodeModel } from '../proto/codec.js';
import { type DecodedTensor, type ExternalDataReader, readTensor } from '../proto/tensor-data.js';
import {
  DataType,
  dataTypeName,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../proto/types.js';
import { NodeAttributes, nodeLabel } from './attributes.js';
import { type GraphStep, OnnxGraphModule, type StepOp } from './graph-module.js';
import { CONVERTERS, type ImportContext } from './ops.js';

export interface ImportOnnxOptions {
  /**
   * Reads external data files (tensors stored outside the .onnx file), given their location
   * relative to the model file. The Node entry ('@fracbits/export/node') provides one from a
   * `baseDir`.
   */
  readonly externalData?: ExternalDataReader;
}

export interface ImportedOnnx extends LoadedModel<OnnxGraphModule> {
  readonly model: OnnxGraphModule;
  /** One sample's input shape (without the batch), e.g. [3, 32, 32]. */
  readonly inputShape: number[];
  /** One sample's output shape, e.g. [10]. */
  readonly outputShape: number[];
  /** The output's last dimension when the output is [N, classes]. */
  readonly numClasses?: number;
  /** The model's metadata_props plus producer and opset. */
  readonly metadata: Readonly<Record<string, string>>;
}

type Value =
  | { readonly kind: 'computed'; readonly name: string }
  | { readonly kind: 'constant'; readonly tensor: TensorProto | DecodedTensor }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** Module names must match /^[A-Za-z0-9_]+$/: '/layer1/conv/Conv' → 'layer1_conv_Conv'. */
function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry?.version ?? 0;
}

/** The one real graph input (not an initializer) and its static per-sample shape. */
function graphInput(model: ModelProto): { name: string; shape: number[] } {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) {
    throw new Error(
      `importOnnx: expected exactly one graph input, got ${inputs.length} (${inputs.map((i) => `"${i.name}"`).join(', ')})`,
    );
  }
  return { name: inputs[0].name!, shape: staticShape(inputs[0]) };
}

function staticShape(info: ValueInfoProto): number[] {
  const t = info.type?.tensor_type;
  const what = `importOnnx: graph input "${info.name}"`;
  if (!t) throw new Error(`${what} is not a tensor`);
  if (t.elem_type !== DataType.FLOAT)
    throw new Error(`${what} must be FLOAT, got ${dataTypeName(t.elem_type)}`);
  const dims = t.shape?.dim;
  if (!dims) throw new Error(`${what} has no shape (dynamic shapes are not supported)`);
  if (dims.length < 2)
    throw new Error(`${what} must have a batch and at least one more dimension, got rank ${dims.length}`);
  return dims.slice(1).map((d, i) => {
    if (d.dim_value === undefined || d.dim_value <= 0) {
      const symbol = d.dim_param ? `"${d.dim_param}"` : 'unknown';
      throw new Error(`${what}: dimension ${i + 1} is ${symbol}; only the batch dimension may be dynamic`);
    }
    return d.dim_value;
  });
}

function metadataOf(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of model.metadata_props ?? []) if (e.key) out[e.key] = e.value ?? '';
  return out;
}

/** Builds the graph module node by node; implements what converters need. */
class GraphImporter implements ImportContext {
  readonly graph: OnnxGraphModule;
  private readonly values = new Map<string, Value>();
  private readonly shapes = new Map<string, number[]>();
  private readonly usedNames = new Set<string>();
  private node: NodeProto = {};
  private nodeIndex = 0;
  private constants = 0;

  constructor(
    private readonly options: ImportOnnxOptions,
    inputName: string,
    inputShape: number[],
  ) {
    this.graph = new OnnxGraphModule(inputName);
    this.values.set(inputName, { kind: 'computed', name: inputName });
    this.shapes.set(inputName, [1, ...inputShape]);
  }

  defineInitializer(t: TensorProto): void {
    this.values.set(t.name!, { kind: 'constant', tensor: t });
  }

  convert(node: NodeProto, index: number): void {
    this.node = node;
    this.nodeIndex = index;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new Error(`${nodeLabel(node)}: custom domain "${node.domain}" is not supported`);
    }
    const converter = Object.hasOwn(CONVERTERS, node.op_type ?? '') ? CONVERTERS[node.op_type!] : undefined;
    if (!converter) {
      throw new Error(
        `${nodeLabel(node)}: unsupported op type (supported: ${Object.keys(CONVERTERS).join(', ')})`,
      );
    }
    converter(this, node, new NodeAttributes(node));
  }

  private lookup(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new Error(`${nodeLabel(this.node)}: input "${name}" is not defined (missing initializer?)`);
    if (v.kind === 'unsupported') throw new Error(`${nodeLabel(this.node)} reads "${name}": ${v.reason}`);
    return v;
  }

  computed(name: string): string {
    if (name === '') throw new Error(`${nodeLabel(this.node)}: a required input is missing`);
    const v = this.lookup(name);
    if (v.kind !== 'computed') {
      throw new Error(
        `${nodeLabel(this.node)}: input "${name}" is a constant; only constant weights are supported here`,
      );
    }
    return v.name;
  }

  isConstant(name: string): boolean {
    return this.values.get(name)?.kind === 'constant';
  }

  constant(name: string, role: string): DecodedTensor {
    if (name === '') throw new Error(`${nodeLabel(this.node)}: the ${role} input is missing`);
    const v = this.lookup(name);
    if (v.kind !== 'constant') {
      throw new Error(
        `${nodeLabel(this.node)}: the ${role} "${name}" must be a constant (initializer or Constant), but it is computed`,
      );
    }
    if ('values' in v.tensor) return v.tensor;
    const decoded = this.decode(v.tensor);
    this.values.set(name, { kind: 'constant', tensor: decoded });
    return decoded;
  }

  decode(t: TensorProto): DecodedTensor {
    try {
      return readTensor(t, { externalData: this.options.externalData });
    } catch (e) {
      throw new Error(`${nodeLabel(this.node)}: ${(e as Error).message}`);
    }
  }

  shapeOf(value: string): number[] {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`${nodeLabel(this.node)}: no shape for "${value}"`);
    return s;
  }

  private moduleName(): string {
    const node = this.node;
    const base = sanitize(node.name ?? '') || `${node.op_type}_${this.nodeIndex}`;
    let name = base;
    for (let i = 2; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  private output(): string {
    const out = this.node.output?.[0];
    if (!out) throw new Error(`${nodeLabel(this.node)}: no output`);
    return out;
  }

  /** Records a step's output value and its shape (validating the step for one sample). */
  private produce(step: GraphStep): void {
    let shape: number[];
    try {
      shape = this.graph.stepShape(
        step,
        step.inputs.map((v) => this.shapeOf(v)),
      );
    } catch (e) {
      throw new Error(`${nodeLabel(this.node)}: ${(e as Error).message}`);
    }
    this.values.set(step.output, { kind: 'computed', name: step.output });
    this.shapes.set(step.output, shape);
  }

  addLayer(input: string, module: Module): void {
    const step = {
      node: this.node.name || this.output(),
      opType: this.node.op_type!,
      inputs: [input],
      output: this.output(),
    };
    this.produce(this.graph.addLayer(step, this.moduleName(), module));
  }

  addStep(inputs: readonly string[], op: StepOp, output = this.output()): string {
    const step: GraphStep = {
      node: this.node.name || this.output(),
      opType: this.node.op_type!,
      inputs,
      output,
      op,
    };
    this.graph.addStep(step);
    this.produce(step);
    return output;
  }

  addConstantBuffer(value: DecodedTensor): string {
    const name = `const_${this.constants++}`;
    const values = value.values instanceof Float32Array ? value.values : Float32Array.from(value.values);
    this.graph.addConstant(name, tensor(values, value.dims));
    return name;
  }

  alias(output: string, input: string): void {
    if (input === '') throw new Error(`${nodeLabel(this.node)}: the input is missing`);
    this.values.set(output, this.lookup(input));
  }

  defineConstant(output: string, value: DecodedTensor): void {
    this.values.set(output, { kind: 'constant', tensor: value });
  }

  unsupportedOutput(output: string, reason: string): void {
    this.values.set(output, { kind: 'unsupported', reason });
  }

  /** The computed value a graph output names. */
  resolveOutput(name: string): string {
    const v = this.values.get(name);
    if (!v) throw new Error(`importOnnx: graph output "${name}" is not produced by any node`);
    if (v.kind !== 'computed')
      throw new Error(`importOnnx: graph output "${name}" is a constant, not computed from the input`);
    return v.name;
  }
}

/**
 * Imports an ONNX float model as an @fracbits/nn module (in eval mode) with its input shape.
 * Supported ops: Conv, Gemm, MatMul (constant weight), BatchNormalization, Relu, Clip,
 * MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape (constant shape), Add, Identity,
 * Dropout, Constant; one float input whose dimensions other than the batch are static; one output.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): ImportedOnnx {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
    assertValidModel(model, 'importOnnx');
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith('importOnnx') ? message : `importOnnx: ${message}`);
  }
  const graph = model.graph!;
  const opset = defaultOpset(model);
  const input = graphInput(model);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1)
    throw new Error(`importOnnx: expected exactly one graph output, got ${outputs.length}`);
  const importer = new GraphImporter(options, input.name, input.shape);
  try {
    for (const t of graph.initializer ?? []) importer.defineInitializer(t);
    (graph.node ?? []).forEach((node, i) => {
      importer.convert(node, i);
    });
    const module = importer.graph;
    module.setOutput(importer.resolveOutput(outputs[0].name!));
    const outputShape = module.outputShape([1, ...input.shape]).slice(1);
    module.eval();
    return {
      model: module,
      inputShape: input.shape,
      outputShape,
      ...(outputShape.length === 1 ? { numClasses: outputShape[0] } : {}),
      metadata: {
        ...metadataOf(model),
        'onnx.producer': `${model.producer_name ?? ''} ${model.producer_version ?? ''}`.trim(),
        'onnx.opset': String(opset),
      },
    };
  } catch (e) {
    importer.graph.dispose();
    const message = (e as Error).message;
    throw new Error(message.startsWith('importOnnx') ? message : `importOnnx: ${message}`, { cause: e });
  }
}
