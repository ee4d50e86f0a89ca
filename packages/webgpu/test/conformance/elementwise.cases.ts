/** Elementwise ops: every unary and binary function, broadcasting, expand/sumToShape. */
import {
  BINARY_FUNCTIONS,
  type BinaryFunction,
  UNARY_FUNCTIONS,
  type UnaryFunction,
} from '@fracbits/kernels';
import * as T from '@fracbits/tensor';
import { type ConformanceCase, FLOAT_SUM, type InputSpec, type Tolerance, type Values } from './harness.js';

/** Sizes: one element, a prime, a tail past the 256-wide workgroup, several dimensions. */
const SHAPES: readonly (readonly number[])[] = [[1], [7], [3, 257], [2, 3, 5, 7]];

/** Functions computed with hardware transcendentals, which may differ by a few ulp. */
const APPROXIMATE = new Set<UnaryFunction>([
  'tanh',
  'sigmoid',
  'exp',
  'log',
  'sqrt',
  'powScalar',
  'reciprocal',
]);

const UNARY_SETUP: Partial<
  Record<UnaryFunction, { values?: Values; alpha?: number; beta?: number; grad?: boolean }>
> = {
  clamp: { values: 'uniform', alpha: -0.3, beta: 0.45 },
  affine: { alpha: -1.75, beta: 0.3 },
  log: { values: 'positive' },
  sqrt: { values: 'positive' },
  reciprocal: { values: 'positive' },
  powScalar: { values: 'positive', alpha: 2.5 },
  round: { values: 'ties' },
  floor: { values: 'ties' },
  ceil: { values: 'ties' },
  sign: { values: 'ties' },
  insideRange: { values: 'ties', alpha: -1, beta: 1.5 },
  greaterThan: { values: 'ties', alpha: 0.5 },
  relu6: { values: (_, rng) => rng.uniformRange(-2, 8) },
};

function unaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of Object.keys(UNARY_FUNCTIONS) as UnaryFunction[]) {
    const s = UNARY_SETUP[op] ?? {};
    const tol: Tolerance = APPROXIMATE.has(op) ? FLOAT_SUM : 'exact';
    for (const shape of SHAPES) {
      out.push({
        name: `unary ${op} ${JSON.stringify(shape)}`,
        ops: ['unary', 'binary'],
        inputs: [{ shape, values: s.values }],
        run: (x) => T.unary(op, x, s.alpha ?? 0, s.beta ?? 0),
        tol,
        // Ops without a gradient (round, sign, …) run forward only: backward has nothing to do.
        grad: !['sign', 'floor', 'ceil', 'round', 'insideRange', 'greaterThan'].includes(op),
      });
    }
  }
  // powScalar with an integer exponent on negative inputs (the sign branch of the WGSL).
  out.push({
    name: 'unary powScalar 3 on negative inputs',
    ops: ['unary'],
    inputs: [{ shape: [5, 13] }],
    run: (x) => T.powScalar(x, 3),
    tol: FLOAT_SUM,
  });
  return out;
}

/** Broadcast pairs: equal, scalar, middle/outer broadcasts, rank 6, tails past 256. */
const PAIRS: readonly [readonly number[], readonly number[]][] = [
  [[1], [1]],
  [[7], [1]],
  [[1], [263]],
  [
    [3, 1, 5],
    [1, 4, 1],
  ],
  [
    [2, 3, 5, 7],
    [5, 1],
  ],
  [
    [2, 1, 3, 1, 2, 3],
    [1, 2, 1, 3, 1, 1],
  ],
  [[300], [300]],
];

const BINARY_SETUP: Partial<
  Record<BinaryFunction, { a?: Values; b?: Values; grad?: boolean; tol?: Tolerance }>
> = {
  div: { b: 'positive' },
  pow: { a: 'positive', b: 'uniform', tol: FLOAT_SUM },
  maximum: { a: 'ties', b: 'ties' },
  minimum: { a: 'ties', b: 'ties' },
  greater: { a: 'ties', b: 'ties', grad: false },
  greaterEqual: { a: 'ties', b: 'ties', grad: false },
  equal: { a: 'ties', b: 'ties', grad: false },
  left: { grad: false },
};

function binaryCases(): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const op of Object.keys(BINARY_FUNCTIONS) as BinaryFunction[]) {
    const s = BINARY_SETUP[op] ?? {};
    for (const [sa, sb] of PAIRS) {
      const inputs: InputSpec[] = [
        { shape: sa, values: s.a },
        { shape: sb, values: s.b },
      ];
      out.push({
        name: `binary ${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
        ops: ['binary', 'reduceAxis', 'reshape', 'unary', 'expand'],
        inputs,
        run: (a, b) => T.binary(op, a, b),
        tol: s.tol ?? 'exact',
        // Broadcast gradients are sums over the broadcast axes, accumulated in the same order.
        gradTol: s.tol ?? 'exact',
        grad: s.grad ?? true,
      });
    }
  }
  out.push({
    name: 'binary with number operands (scalars uploaded mid-batch)',
    ops: ['binary'],
    inputs: [{ shape: [3, 11] }],
    run: (x) => T.sub(T.mul(T.add(x, 0.5), 3), T.div(x, 7)),
  });
  return out;
}

const expandCases: ConformanceCase[] = [
  [[1], [1]],
  [
    [3, 1],
    [2, 3, 17],
  ],
  [
    [5, 1, 7],
    [5, 4, 7],
  ],
  [[1], [260]],
].map(([from, to]) => ({
  name: `expandTo ${JSON.stringify(from)} → ${JSON.stringify(to)}`,
  ops: ['expand', 'reduceAxis', 'reshape'],
  inputs: [{ shape: from }],
  run: (x: T.Tensor) => T.expandTo(x, to),
}));

const sumToShapeCases: ConformanceCase[] = [
  {
    name: 'sumToShape [4, 5, 6] → [5, 1]',
    ops: ['reduceAxis', 'reshape'],
    inputs: [{ shape: [4, 5, 6] }],
    run: (x) => T.sumToShape(x, [5, 1]),
  },
];

export const elementwiseCases: ConformanceCase[] = [
  ...unaryCases(),
  ...binaryCases(),
  ...expandCases,
  ...sumToShapeCases,
];
