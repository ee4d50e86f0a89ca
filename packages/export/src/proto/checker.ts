/**
 * JavaScript-side structural checks of an ONNX model, the rules a runtime would otherwise reject
 * the file for: opset imports present, graph topologically sorted with every input defined,
 * single assignment of every value, graph outputs produced, typed graph inputs/outputs, and
 * in-file initializer sizes that match their dims. Operator semantics are not checked here.
 */
import { elementBytes, rawByteLength } from './tensor-data.js';
import { dataTypeName, type ModelProto, type NodeProto, type ValueInfoProto } from './types.js';

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

function nodeLabel(node: NodeProto, index: number): string {
  return `node ${index} "${node.name || '(unnamed)'}" (${node.op_type || '?'})`;
}

function checkValueInfo(what: string, info: ValueInfoProto, problems: string[]): void {
  const tensorType = info.type?.tensor_type;
  if (!tensorType) problems.push(`${what} "${info.name}" has no tensor type`);
  else if (!tensorType.elem_type) problems.push(`${what} "${info.name}" has no element type`);
}

/** Every problem found, as messages (empty when the model passes). */
export function checkModel(model: ModelProto): string[] {
  const problems: string[] = [];
  if (!model.ir_version) problems.push('ir_version is not set');
  const opsets = model.opset_import ?? [];
  const domains = new Map<string, number>();
  for (const o of opsets) {
    const domain = DEFAULT_DOMAINS.has(o.domain ?? '') ? '' : (o.domain ?? '');
    if (domains.has(domain)) problems.push(`opset_import lists domain "${domain}" twice`);
    if (!o.version || o.version < 1) problems.push(`opset_import for domain "${domain}" has no version`);
    domains.set(domain, o.version ?? 0);
  }
  if (!domains.has('')) problems.push('opset_import has no entry for the default ONNX domain');

  const graph = model.graph;
  if (!graph) {
    problems.push('the model has no graph');
    return problems;
  }
  const defined = new Set<string>();
  const define = (name: string | undefined, what: string): void => {
    if (!name) {
      problems.push(`${what} has no name`);
      return;
    }
    if (defined.has(name)) problems.push(`${what} redefines value "${name}"`);
    defined.add(name);
  };
  const initializerNames = new Set<string>();
  for (const t of graph.initializer ?? []) {
    if (t.name && initializerNames.has(t.name)) problems.push(`initializer "${t.name}" is listed twice`);
    define(t.name, 'an initializer');
    if (t.name) initializerNames.add(t.name);
    checkInitializerSize(t.name ?? '', t.dims ?? [], t.data_type ?? 0, t.raw_data, t.data_location, problems);
  }
  for (const input of graph.input ?? []) {
    checkValueInfo('graph input', input, problems);
    // IR ≥ 4 lets an initializer also appear as a graph input (an overridable default).
    if (input.name && initializerNames.has(input.name)) continue;
    define(input.name, 'a graph input');
  }
  (graph.node ?? []).forEach((node, i) => {
    const label = nodeLabel(node, i);
    if (!node.op_type) problems.push(`${label} has no op_type`);
    const domain = DEFAULT_DOMAINS.has(node.domain ?? '') ? '' : (node.domain ?? '');
    if (!domains.has(domain)) problems.push(`${label} uses domain "${domain}" without an opset_import`);
    for (const input of node.input ?? []) {
      if (input === '') continue; // an omitted optional input
      if (!defined.has(input)) {
        problems.push(
          `${label} reads "${input}", which is not defined before it (graph not topologically sorted?)`,
        );
      }
    }
    for (const output of node.output ?? []) {
      if (output === '') continue; // an omitted optional output
      define(output, label);
    }
  });
  const outputs = graph.output ?? [];
  if (outputs.length === 0) problems.push('the graph has no outputs');
  for (const output of outputs) {
    checkValueInfo('graph output', output, problems);
    if (output.name && !defined.has(output.name))
      problems.push(`graph output "${output.name}" is never produced`);
  }
  return problems;
}

function checkInitializerSize(
  name: string,
  dims: readonly number[],
  dataType: number,
  raw: Uint8Array | undefined,
  location: number | undefined,
  problems: string[],
): void {
  if (location === 1 || !raw || raw.length === 0 || elementBytes(dataType) === 0) return;
  const n = dims.reduce((a, b) => a * b, 1);
  const expected = rawByteLength(dataType, n);
  if (raw.length !== expected) {
    problems.push(
      `initializer "${name}": ${n} ${dataTypeName(dataType)} values need ${expected} bytes of raw_data, got ${raw.length}`,
    );
  }
}

/** Throws one error listing every problem `checkModel` finds. */
export function assertValidModel(model: ModelProto, what = 'checkModel'): void {
  const problems = checkModel(model);
  if (problems.length > 0) {
    throw new Error(`${what}: invalid ONNX model:\n  - ${problems.join('\n  - ')}`);
  }
}
