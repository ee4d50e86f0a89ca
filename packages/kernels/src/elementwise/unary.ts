import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { roundHalfEven, sign } from '../math.js';

/**
 * The unary functions `elementwise/unary` can apply. `a` and `b` are the launch params `alpha`
 * and `beta` (e.g. clamp bounds, affine scale and shift, the exponent of `powScalar`).
 */
export const UNARY_FUNCTIONS = {
  identity: { wgsl: 'x', cpu: (x: number) => x },
  neg: { wgsl: '-x', cpu: (x: number) => -x },
  relu: { wgsl: 'max(x, 0.0)', cpu: (x: number) => Math.max(x, 0) },
  relu6: { wgsl: 'clamp(x, 0.0, 6.0)', cpu: (x: number) => (x < 0 ? 0 : Math.min(x, 6)) },
  clamp: { wgsl: 'clamp(x, a, b)', cpu: (x: number, a: number, b: number) => (x < a ? a : Math.min(x, b)) },
  tanh: { wgsl: 'tanh(x)', cpu: (x: number) => Math.tanh(x) },
  sigmoid: { wgsl: '1.0 / (1.0 + exp(-x))', cpu: (x: number) => 1 / (1 + Math.exp(-x)) },
  abs: { wgsl: 'abs(x)', cpu: (x: number) => Math.abs(x) },
  sign: { wgsl: 'sign(x)', cpu: sign },
  floor: { wgsl: 'floor(x)', cpu: (x: number) => Math.floor(x) },
  ceil: { wgsl: 'ceil(x)', cpu: (x: number) => Math.ceil(x) },
  round: { wgsl: 'round(x)', cpu: roundHalfEven },
  exp: { wgsl: 'exp(x)', cpu: (x: number) => Math.exp(x) },
  log: { wgsl: 'log(x)', cpu: (x: number) => Math.log(x) },
  sqrt: { wgsl: 'sqrt(x)', cpu: (x: number) => Math.sqrt(x) },
  reciprocal: { wgsl: '1.0 / x', cpu: (x: number) => 1 / x },
  square: { wgsl: 'x * x', cpu: (x: number) => Math.fround(x * x) },
  /** x·a + b */
  affine: {
    wgsl: 'x * a + b',
    cpu: (x: number, a: number, b: number) => Math.fround(Math.fround(x * a) + b),
  },
  /** x^a (WGSL pow is undefined for x < 0; callers use it on non-negative inputs or integer a) */
  powScalar: {
    wgsl: 'select(pow(abs(x), a) * select(1.0, -1.0, x < 0.0 && (abs(a) % 2.0) == 1.0), pow(x, a), x >= 0.0)',
    // Same as the WGSL: |x|^a for negative x, negated for odd integer a (never NaN).
    cpu: (x: number, a: number) => (x >= 0 ? x ** a : Math.abs(x) ** a * (Math.abs(a) % 2 === 1 ? -1 : 1)),
  },
  /** 1 where a ≤ x ≤ b, else 0 (mask for clamp gradients) */
  insideRange: {
    wgsl: 'select(0.0, 1.0, x >= a && x <= b)',
    cpu: (x: number, a: number, b: number) => (x >= a && x <= b ? 1 : 0),
  },
  /** 1 where x > a, else 0 */
  greaterThan: { wgsl: 'select(0.0, 1.0, x > a)', cpu: (x: number, a: number) => (x > a ? 1 : 0) },
} as const;

export type UnaryFunction = keyof typeof UNARY_FUNCTIONS;

function fn(defines: Readonly<Record<string, unknown>>) {
  const name = String(defines.op) as UnaryFunction;
  const f = UNARY_FUNCTIONS[name];
  if (!f) throw new Error(`elementwise/unary: unknown op "${name}"`);
  return f;
}

type Loop = (x: Float32Array, y: Float32Array, n: number, a: number, b: number) => void;

/**
 * Monomorphic loops for the functions training calls on every activation (a call through the
 * generic table costs ~15 ns per element in V8; these run at memory speed). Same math as the table.
 */
const HOT_LOOPS: Partial<Record<UnaryFunction, Loop>> = {
  relu: (x, y, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      y[i] = Math.max(v, 0);
    }
  },
  greaterThan: (x, y, n, a) => {
    for (let i = 0; i < n; i++) y[i] = x[i] > a ? 1 : 0;
  },
  affine: (x, y, n, a, b) => {
    for (let i = 0; i < n; i++) y[i] = Math.fround(x[i] * a) + b;
  },
  neg: (x, y, n) => {
    for (let i = 0; i < n; i++) y[i] = -x[i];
  },
  identity: (x, y, n) => {
    y.set(x.subarray(0, n));
  },
};

/** y = f(x) elementwise; defines `{ op: UnaryFunction }`, params `{ n, alpha, beta }`. */
export const unaryKernel = defineKernel(shaderSources['elementwise/unary'], {
  specialize: (defines) => ({ EXPR: fn(defines).wgsl }),
  dispatch: (params) => linearDispatch(params.n, 256),
  cpu: ([x, y], params, defines) => {
    const f = fn(defines).cpu as (x: number, a: number, b: number) => number;
    const { n, alpha, beta } = params;
    const a = Math.fround(alpha);
    const b = Math.fround(beta);
    const hot = HOT_LOOPS[String(defines.op) as UnaryFunction];
    if (hot && x instanceof Float32Array && y instanceof Float32Array) {
      hot(x, y, n, a, b);
      return;
    }
    for (let i = 0; i < n; i++) y[i] = f(x[i], a, b);
  },
});
