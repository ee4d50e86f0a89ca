/**
 * Rebuilds the layers a removal plan shrinks as ordinary, smaller nn / core modules (Conv2d,
 * Linear, BatchNorm, ChannelPadShortcut, QConv2d / QLinear around a smaller layer) and swaps them
 * into their parents in place, so exporters and cost models see a plain dense model.
 */
import { QConv2d, QLinear } from '@fracbits/core';
import { BatchNorm1d, BatchNorm2d, ChannelPadShortcut, Conv2d, Linear, type Module } from '@fracbits/nn';
import { type Backend, getBackend, Rng, setBackend, type Tensor, tensor } from '@fracbits/tensor';
import type { LayerNode, NormNode, Owner, PadNode } from './graph.js';
import type { RemovalPlan, WeightEdit } from './plan.js';

/** Kept indices of a list of graph nodes. */
export function keptIndices(nodes: readonly number[], plan: RemovalPlan): number[] {
  return nodes.flatMap((n, i) => (plan.removed(n) ? [] : [i]));
}

/** Rows × (cols × inner) row-major data restricted to the kept rows and columns. */
function take(
  data: Float32Array,
  cols: number,
  inner: number,
  rows: readonly number[],
  keepCols: readonly number[],
): Float32Array {
  const out = new Float32Array(rows.length * keepCols.length * inner);
  let k = 0;
  for (const r of rows) {
    for (const c of keepCols) {
      const at = (r * cols + c) * inner;
      out.set(data.subarray(at, at + inner), k);
      k += inner;
    }
  }
  return out;
}

/** `data` at the given indices. */
function pick(data: Float32Array, indices: readonly number[]): Float32Array {
  return Float32Array.from(indices, (i) => data[i]);
}

async function host(t: Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data());
}

async function assignFrom(target: Tensor, values: Float32Array): Promise<void> {
  const t = tensor(values, target.shape, { backend: target.backend });
  target.assign(t);
  t.dispose();
}

/** Runs `fn` with `backend` as the backend new tensors are created on. */
function onBackend<T>(backend: Backend, fn: () => T): T {
  const previous = getBackend();
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

function replace(owners: readonly Owner[], next: Module, old: Module): void {
  next.training = old.training;
  for (const { parent, key } of owners) parent.replaceModule(key, next);
}

/** A float conv / linear layer with the kept rows and columns of `old`. */
async function smallerFloat(
  old: Conv2d | Linear,
  depthwise: boolean,
  outs: readonly number[],
  ins: readonly number[],
  edit: WeightEdit | undefined,
): Promise<Conv2d | Linear> {
  const weights = await host(old.weight);
  if (edit) weights[edit.index] = edit.to;
  const rows = old.weight.shape[0];
  const cols = depthwise ? 1 : old.weight.shape[1];
  const inner = old.weight.size / (rows * cols);
  const w = take(weights, cols, inner, outs, depthwise ? [0] : ins);
  const bias = old.bias ? pick(await host(old.bias), outs) : null;
  const rng = new Rng(0); // the values are overwritten; keep the process-wide default stream intact
  const next = onBackend(old.weight.backend, () =>
    old instanceof Conv2d
      ? new Conv2d(
          depthwise ? outs.length : ins.length,
          outs.length,
          [...old.kernelSize] as [number, number],
          {
            stride: [...old.stride] as [number, number],
            padding: [...old.padding] as [number, number],
            dilation: [...old.dilation] as [number, number],
            groups: depthwise ? outs.length : 1,
            bias: old.bias !== null,
            rng,
          },
        )
      : new Linear(ins.length, outs.length, { bias: old.bias !== null, rng }),
  );
  await assignFrom(next.weight, w);
  if (next.bias && bias) await assignFrom(next.bias, bias);
  return next;
}

/** The same quantizer around a smaller layer: bit-widths of the kept channels, the same λa and α. */
async function smallerQuantized(
  old: QConv2d | QLinear,
  inner: Conv2d | Linear,
  outs: readonly number[],
): Promise<QConv2d | QLinear> {
  // The weight range of a pinned layer is irrelevant: any valid one that holds targetBits.
  const pinned = old.bitsW.pinned;
  const range = pinned === null ? old.bitsW.range : (old.bitsA?.range ?? ([pinned, pinned] as const));
  const options = {
    granularity: old.granularity,
    targetBits: range[0],
    bitsRange: range,
    activationBitsRange: old.bitsA?.range,
    mode: 'search' as const,
    pinWeightBits: old.bitsW.pinned ?? undefined,
    quantizeInput: old.bitsA !== null,
    inputBits: old.inputBits,
    signedInput: old.signedInput,
    satRescale: old.satRescale,
    alphaInit: 1, // overwritten below
  };
  const next = onBackend(old.weight.backend, () =>
    inner instanceof Conv2d ? new QConv2d(inner, options) : new QLinear(inner as Linear, options),
  );
  if (old.bitsW.lambda && next.bitsW.lambda) {
    const lambda = await host(old.bitsW.lambda);
    await assignFrom(next.bitsW.lambda, lambda.length === 1 ? lambda : pick(lambda, outs));
  }
  if (old.bitsA?.lambda && next.bitsA?.lambda)
    await assignFrom(next.bitsA.lambda, await host(old.bitsA.lambda));
  if (old.alpha && next.alpha) await assignFrom(next.alpha, await host(old.alpha));
  next.mode = old.mode;
  return next;
}

/** Shrinks one conv / linear layer (float or quantized); returns the old module, now detached. */
export async function rebuildLayer(layer: LayerNode, plan: RemovalPlan): Promise<Module | null> {
  const outs = keptIndices(layer.outNodes, plan);
  const ins = layer.depthwise ? outs : keptIndices(layer.inNodes, plan);
  const edit = plan.edits.get(layer);
  if (outs.length === layer.outNodes.length && ins.length === layer.inNodes.length && !edit) return null;
  const m = layer.module;
  const float = m instanceof QConv2d || m instanceof QLinear ? m.layer : m;
  const inner = await smallerFloat(float, layer.depthwise, outs, ins, edit);
  const next = m instanceof QConv2d || m instanceof QLinear ? await smallerQuantized(m, inner, outs) : inner;
  replace(layer.owners, next, m);
  return m;
}

export async function rebuildNorm(norm: NormNode, plan: RemovalPlan): Promise<Module | null> {
  const keep = keptIndices(norm.nodes, plan);
  const old = norm.module;
  if (keep.length === old.numFeatures) return null;
  const options = { eps: old.eps, momentum: old.momentum };
  const next = onBackend(old.weight.backend, () =>
    old instanceof BatchNorm2d
      ? new BatchNorm2d(keep.length, options)
      : new BatchNorm1d(keep.length, options),
  );
  const pairs: [Tensor, Tensor][] = [
    [old.weight, next.weight],
    [old.bias, next.bias],
    [old.runningMean, next.runningMean],
    [old.runningVar, next.runningVar],
  ];
  for (const [from, to] of pairs) await assignFrom(to, pick(await host(from), keep));
  replace(norm.owners, next, old);
  return old;
}

export function rebuildPad(pad: PadNode, plan: RemovalPlan): Module | null {
  const count = (nodes: readonly number[]) => keptIndices(nodes, plan).length;
  const before = count(pad.before);
  const middle = count(pad.middle);
  const after = count(pad.after);
  const old = pad.module;
  if (middle === old.inChannels && before + middle + after === old.outChannels) return null;
  replace(pad.owners, new ChannelPadShortcut(middle, before + middle + after, old.stride), old);
  return old;
}
