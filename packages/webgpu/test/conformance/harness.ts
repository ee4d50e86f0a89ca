/**
 * The conformance harness: one computation, run forward and backward on the CPU reference backend
 * and on WebGPU, compared element by element with a stated tolerance. A case names the registered
 * ops it exercises (`ops`), so that a coverage test can list ops that have no case yet.
 */
import {
  add,
  type Backend,
  backward,
  CpuBackend,
  type DType,
  getBackend,
  mul,
  Rng,
  scope,
  setBackend,
  sum,
  type Tensor,
  type TypedArray,
  tensor,
} from '@fracbits/tensor';

/** 'exact': bit-identical (NaN equals NaN); otherwise |gpu − cpu| ≤ atol + rtol·|cpu|. */
export type Tolerance = 'exact' | { readonly atol: number; readonly rtol: number };

/** For float sums whose order differs between backends, and for transcendental functions. */
export const FLOAT_SUM: Tolerance = { atol: 1e-6, rtol: 1e-5 };

export type Values =
  | 'normal' // N(0, 1)
  | 'positive' // uniform [0.5, 2.5)
  | 'uniform' // uniform [-1, 1)
  | 'ties' // multiples of 0.5 in [-4, 4] (rounding ties, equal elements)
  | { readonly labels: number } // int32 class indices in [0, labels)
  | ((i: number, rng: Rng) => number);

export interface InputSpec {
  readonly shape: readonly number[];
  readonly values?: Values;
  readonly dtype?: DType;
  /** Whether gradients are checked for this input (default: float32 inputs of grad cases). */
  readonly grad?: boolean;
}

export interface ConformanceCase {
  readonly name: string;
  /** Registered op names (see `listOps()`) this case runs, forward or backward. */
  readonly ops: readonly string[];
  readonly inputs: readonly InputSpec[];
  readonly run: (...inputs: Tensor[]) => Tensor | readonly Tensor[];
  /** Tolerance of forward outputs (default exact). */
  readonly tol?: Tolerance;
  /** Tolerance of gradients (default: `tol`). */
  readonly gradTol?: Tolerance;
  /** Whether to run backward (default true). */
  readonly grad?: boolean;
}

interface Result {
  readonly outputs: TypedArray[];
  readonly shapes: (readonly number[])[];
  readonly grads: (TypedArray | null)[];
}

function generate(spec: InputSpec, rng: Rng): TypedArray {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const v = spec.values ?? 'normal';
  if (typeof v === 'object') return Int32Array.from({ length: n }, () => rng.int(v.labels));
  const draw =
    typeof v === 'function'
      ? (i: number) => v(i, rng)
      : v === 'normal'
        ? () => rng.normal()
        : v === 'positive'
          ? () => rng.uniformRange(0.5, 2.5)
          : v === 'uniform'
            ? () => rng.uniformRange(-1, 1)
            : () => rng.int(17) * 0.5 - 4;
  const data = Float32Array.from({ length: n }, (_, i) => draw(i));
  return spec.dtype === 'int32' ? Int32Array.from(data) : data;
}

/** Fixed projection weights for the loss Σ y·w (odd, non-repeating pattern). */
function projection(size: number, k: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.fround(Math.sin(i * 0.7303 + k * 1.37) + 0.25));
}

async function evaluate(backend: Backend, c: ConformanceCase, data: TypedArray[]): Promise<Result> {
  const previous = getBackend();
  setBackend(backend);
  try {
    const withGrad = c.grad ?? true;
    const leaves = c.inputs.map((spec, i) => {
      const dtype = spec.dtype ?? (spec.values && typeof spec.values === 'object' ? 'int32' : 'float32');
      const requiresGrad = withGrad && dtype === 'float32' && (spec.grad ?? true);
      return tensor(data[i], spec.shape, { dtype, backend, requiresGrad });
    });
    const outs = scope(() => {
      const result = c.run(...leaves);
      const ys = Array.isArray(result) ? [...(result as Tensor[])] : [result as Tensor];
      if (withGrad) {
        const terms = ys
          .filter((y) => y.dtype === 'float32' && y.requiresGrad)
          .map((y, k) => sum(mul(y, tensor(projection(y.size, k), y.shape))));
        if (terms.length === 0) throw new Error(`case ${c.name}: no differentiable output (set grad: false)`);
        backward(terms.reduce((a, b) => add(a, b)));
      }
      return ys;
    });
    const outputs = await Promise.all(outs.map((y) => y.data()));
    const grads = await Promise.all(leaves.map((l) => (l.grad ? l.grad.data() : Promise.resolve(null))));
    const shapes = outs.map((y) => y.shape);
    for (const t of [...outs, ...leaves]) t.dispose();
    return { outputs, shapes, grads };
  } finally {
    setBackend(previous);
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(9);
}

/** Describes the first mismatches of `got` (WebGPU) against `want` (CPU), or '' when they agree. */
export function mismatches(got: TypedArray, want: TypedArray, tol: Tolerance, limit = 5): string {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const ok =
      tol === 'exact'
        ? Object.is(a, b) || (a === 0 && b === 0) || (Number.isNaN(a) && Number.isNaN(b))
        : a === b ||
          Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b) ||
          (Number.isNaN(a) && Number.isNaN(b));
    if (!ok) {
      count++;
      if (bad.length < limit) bad.push(`[${i}] webgpu ${formatValue(a)}, cpu ${formatValue(b)}`);
    }
  }
  return count === 0 ? '' : `${count} of ${want.length} differ: ${bad.join('; ')}`;
}

const cpu = new CpuBackend();

/** Runs a case on both backends and asserts that outputs and gradients agree. */
export async function checkCase(gpu: Backend, c: ConformanceCase, seed = 7): Promise<void> {
  const rng = new Rng(seed);
  const data = c.inputs.map((spec) => generate(spec, rng));
  const want = await evaluate(cpu, c, data);
  const got = await evaluate(gpu, c, data);
  const problems: string[] = [];
  want.outputs.forEach((w, k) => {
    if (got.shapes[k].join(',') !== want.shapes[k].join(',')) {
      problems.push(`output ${k}: shape [${got.shapes[k]}], expected [${want.shapes[k]}]`);
      return;
    }
    const m = mismatches(got.outputs[k], w, c.tol ?? 'exact');
    if (m) problems.push(`output ${k} (tolerance ${JSON.stringify(c.tol ?? 'exact')}): ${m}`);
  });
  want.grads.forEach((w, i) => {
    const g = got.grads[i];
    if ((w === null) !== (g === null)) {
      problems.push(`gradient of input ${i}: ${w === null ? 'none on cpu' : 'none on webgpu'}`);
      return;
    }
    if (w && g) {
      const tol = c.gradTol ?? c.tol ?? 'exact';
      const m = mismatches(g, w, tol);
      if (m) problems.push(`gradient of input ${i} (tolerance ${JSON.stringify(tol)}): ${m}`);
    }
  });
  // A plain Error keeps the whole report readable (an equality diff would truncate it).
  if (problems.length > 0) throw new Error(`${c.name} — webgpu differs from cpu:\n${problems.join('\n')}`);
}
