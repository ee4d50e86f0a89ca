/** Shared test helpers: random BatchNorm statistics, random masks, eval-mode outputs. */
import { BatchNorm1d, BatchNorm2d, type Module } from '@fracbits/nn';
import { noGrad, type Rng, type Shape, scope, type Tensor, tensor } from '@fracbits/tensor';
import { analyzeChannels } from '../src/index.js';

function randomTensor(t: Tensor, rng: Rng, low: number, high: number): void {
  const v = tensor(
    Float32Array.from({ length: t.size }, () => rng.uniformRange(low, high)),
    t.shape,
  );
  t.assign(v);
  v.dispose();
}

/** BatchNorms with non-trivial affine parameters and running statistics (not identities). */
export function randomizeNorms(model: Module, rng: Rng): void {
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d || m instanceof BatchNorm1d)) continue;
    randomTensor(m.weight, rng, 0.5, 1.5);
    randomTensor(m.bias, rng, -0.5, 0.5);
    randomTensor(m.runningMean, rng, -0.3, 0.3);
    randomTensor(m.runningVar, rng, 0.5, 2);
  }
}

/** Each output channel of each analysable layer pruned with probability p (the last layer excluded). */
export function randomMask(model: Module, inputShape: Shape, rng: Rng, p: number): Map<string, number[]> {
  const layers = analyzeChannels(model, inputShape).layers;
  const out = new Map<string, number[]>();
  for (const l of layers.slice(0, -1)) {
    const channels = l.outNodes.flatMap((_, c) => (rng.uniform() < p ? [c] : []));
    if (channels.length > 0) out.set(l.name, channels);
  }
  return out;
}

export function randomInput(shape: Shape, rng: Rng): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Float32Array.from({ length: size }, () => rng.uniformRange(0, 1)),
    shape,
  );
}

/** The model's eval-mode output for `x`. */
export function outputOf(model: Module, x: Tensor): Float32Array {
  model.eval();
  return noGrad(() => scope(() => Float32Array.from(model.call(x).dataSync())));
}

/** max |a − b| / max(1, max |a|). */
export function relativeDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`relativeDiff: lengths ${a.length} and ${b.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
}
