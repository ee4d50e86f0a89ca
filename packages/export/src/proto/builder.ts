/**
 * A small writer for ONNX graphs: nodes are appended in execution order (so the graph comes out
 * topologically sorted), value names are made unique, and `build` wraps the graph in a
 * ModelProto with its opset imports and metadata. The exporters and the tests use it.
 */
import { makeTensor, type TensorData } from './tensor-data.js';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type ModelProto,
  type NodeProto,
  type StringStringEntryProto,
  type TensorProto,
  type ValueInfoProto,
} from './types.js';

/** ONNX opset written by this package (QuantizeLinear/DequantizeLinear with int4 need ≥ 21). */
export const OPSET_VERSION = 21;
/** IR version matching opset 21 (ONNX 1.16). */
export const IR_VERSION = 10;

/** Attribute constructors: `attr.ints('kernel_shape', [3, 3])`. */
export const attr = {
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i }),
  string: (name: string, s: string): AttributeProto => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: AttributeType.TENSOR, t }),
  floats: (name: string, floats: readonly number[]): AttributeProto => ({
    name,
    type: AttributeType.FLOATS,
    floats: [...floats],
  }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({
    name,
    type: AttributeType.INTS,
    ints: [...ints],
  }),
};

/** A dimension of a graph input/output: a size, or a symbolic name such as 'N'. */
export type Dim = number | string;

export function valueInfo(name: string, elemType: number, shape: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

export interface NodeOptions {
  readonly attributes?: readonly AttributeProto[];
  /** Node name (made unique); default: the op type. */
  readonly name?: string;
  /** Names for the outputs (made unique); default: derived from the node name. */
  readonly outputs?: readonly string[];
  /** Number of outputs when `outputs` is not given (default 1). */
  readonly outputCount?: number;
  readonly domain?: string;
}

export interface BuildOptions {
  readonly graphName?: string;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** Written to metadata_props; values are strings (objects are JSON-encoded by the caller). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Extra opset imports, e.g. `{ 'com.microsoft': 1 }`. */
  readonly opsets?: Readonly<Record<string, number>>;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();

  /** `base` if unused, else `base_1`, `base_2`, …; reserves the result. */
  uniqueValue(base: string): string {
    return reserve(this.values, base || 'value');
  }

  /** Declares a graph input. */
  input(name: string, elemType: number, shape: readonly Dim[]): string {
    const unique = this.uniqueValue(name);
    this.inputs.push(valueInfo(unique, elemType, shape));
    return unique;
  }

  /** Declares `value` (already produced) as a graph output. */
  output(value: string, elemType: number, shape: readonly Dim[]): void {
    if (!this.values.has(value)) throw new Error(`GraphBuilder.output: no value named "${value}"`);
    this.outputs.push(valueInfo(value, elemType, shape));
  }

  /** Adds a constant tensor as an initializer; returns its (unique) name. */
  initializer(name: string, data: TensorData): string {
    const unique = this.uniqueValue(name);
    this.initializers.push(makeTensor(unique, data));
    return unique;
  }

  /** A float32 initializer. */
  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(name, { dims, dataType: DataType.FLOAT, values });
  }

  /** An int64 initializer (shapes, axes). */
  int64s(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(name, { dims, dataType: DataType.INT64, values });
  }

  /**
   * Appends a node. Inputs must already exist ('' marks an omitted optional input). Returns the
   * output names.
   */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.values.has(input)) {
        throw new Error(`GraphBuilder.node(${opType}): input "${input}" is not defined yet`);
      }
    }
    const name = reserve(this.nodeNames, options.name ?? opType);
    const outputNames =
      options.outputs ??
      Array.from({ length: options.outputCount ?? 1 }, (_, i) =>
        i === 0 ? `${name}_out` : `${name}_out${i}`,
      );
    const outputs = outputNames.map((o) => this.uniqueValue(o));
    const node: NodeProto = { name, op_type: opType, input: [...inputs], output: outputs };
    if (options.attributes?.length) node.attribute = [...options.attributes];
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  /** Wraps the graph in a model importing the default opset (and `opsets`). */
  build(options: BuildOptions = {}): ModelProto {
    const metadata: StringStringEntryProto[] = Object.entries(options.metadata ?? {}).map(([key, value]) => ({
      key,
      value,
    }));
    const opsets = [
      { domain: '', version: OPSET_VERSION },
      ...Object.entries(options.opsets ?? {}).map(([domain, version]) => ({ domain, version })),
    ];
    const model: ModelProto = {
      ir_version: IR_VERSION,
      opset_import: opsets,
      producer_name: options.producerName ?? '@fracbits/export',
      producer_version: options.producerVersion ?? '0.1.0',
      graph: {
        name: options.graphName ?? 'graph',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadata_props: metadata,
    };
    if (options.docString) model.doc_string = options.docString;
    return model;
  }
}

function reserve(used: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}
