/**
 * Finite-difference gradient checking, used by every op's tests. The checked function's output is
 * projected onto fixed random weights, L = Σ fn(x)·w, so ops with any output shape are covered.
 * Runs on the CPU backend (it needs synchronous reads).
 */
import { backward, zeroGrad } from './autograd.js';
import { tensor } from './creation.js';
import { noGrad, scope } from './engine.js';
import { mul } from './ops/binary.js';
import { sum } from './ops/reduce.js';
import { Rng } from './rng.js';
import type { Tensor } from './tensor.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-2; float32 forward passes need a large one). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** At most this many elements per input are checked (chosen at random). */
  maxChecks?: number;
  seed?: number;
  /** Indices of inputs to check (default: all float32 inputs). */
  check?: readonly number[];
}

export interface GradCheckResult {
  readonly ok: boolean;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|) seen; ≤ 1 passes. */
  readonly worst: number;
  readonly failures: readonly string[];
}

export function gradCheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradCheckOptions = {},
): GradCheckResult {
  const { eps = 1e-2, atol = 1e-2, rtol = 1e-2, maxChecks = 48, seed = 1 } = options;
  const rng = new Rng(seed);
  const checked =
    options.check ?? inputs.map((t, i) => (t.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
  const values = inputs.map((t) => t.dataSync().slice());
  const leaves = inputs.map((t, i) =>
    tensor(values[i], t.shape, { dtype: t.dtype, requiresGrad: checked.includes(i) }),
  );
  let weights: Float32Array | null = null;

  const loss = (xs: Tensor[]): Tensor => {
    const y = fn(...xs);
    if (!weights) weights = Float32Array.from({ length: y.size }, () => rng.uniformRange(-1, 1));
    return sum(mul(y, tensor(weights, y.shape)));
  };

  const analytic = scope(() => {
    const l = loss(leaves);
    backward(l);
    return leaves.map((t) => (t.grad ? t.grad.dataSync().slice() : null));
  });
  zeroGrad(leaves);

  const evaluate = (index: number, element: number, delta: number): number =>
    noGrad(() =>
      scope(() => {
        const v = values[index].slice();
        v[element] += delta;
        const xs = leaves.map((t, i) => (i === index ? tensor(v, t.shape) : t));
        return loss(xs).itemSync();
      }),
    );

  let worst = 0;
  const failures: string[] = [];
  for (const i of checked) {
    const size = values[i].length;
    const elements =
      size <= maxChecks ? [...Array(size).keys()] : Array.from({ length: maxChecks }, () => rng.int(size));
    const grad = analytic[i];
    for (const e of elements) {
      const numeric = (evaluate(i, e, eps) - evaluate(i, e, -eps)) / (2 * eps);
      const got = grad ? grad[e] : 0;
      const err = Math.abs(got - numeric) / (atol + rtol * Math.abs(numeric));
      if (!(err <= 1)) failures.push(`input ${i} element ${e}: analytic ${got}, numeric ${numeric}`);
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
    }
  }
  for (const t of leaves) t.dispose();
  return { ok: failures.length === 0, worst, failures };
}
