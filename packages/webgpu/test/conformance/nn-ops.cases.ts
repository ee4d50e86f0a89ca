/** matmul/linear, conv2d, pooling and batch norm: the ops a CNN training step runs. */
import * as T from '@fracbits/tensor';
import type { ConformanceCase, Tolerance } from './harness.js';

/** Dot products: the CPU twin accumulates blocks in double, the GPU sequentially in float32. */
const DOT: Tolerance = { atol: 2e-5, rtol: 2e-5 };

const GEMM_OPS = ['matmul', 'linear', 'reduceAxis', 'reshape', 'expand', 'binary'];

const matmulCases: ConformanceCase[] = [];
for (const [m, k, n] of [
  [1, 1, 1],
  [1, 7, 4],
  [7, 13, 5],
  [33, 36, 68], // tails past the 32-wide tiles; eligible for gemm/matmul_sg
  [64, 64, 64],
  [5, 257, 3],
] as const) {
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    matmulCases.push({
      name: `matmul ${m}×${k}·${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`,
      ops: GEMM_OPS,
      inputs: [{ shape: transA ? [k, m] : [m, k] }, { shape: transB ? [n, k] : [k, n] }],
      run: (a, b) => T.matmul(a, b, { transA, transB }),
      tol: DOT,
    });
  }
}
matmulCases.push(
  {
    name: 'matmul batched [3, 5, 9] · [9, 8] (broadcast B)',
    ops: GEMM_OPS,
    inputs: [{ shape: [3, 5, 9] }, { shape: [9, 8] }],
    run: (a, b) => T.matmul(a, b),
    tol: DOT,
  },
  {
    name: 'matmul batched [1, 4, 12] · [2, 12, 7]',
    ops: GEMM_OPS,
    inputs: [{ shape: [1, 4, 12] }, { shape: [2, 12, 7] }],
    run: (a, b) => T.matmul(a, b),
    tol: DOT,
  },
);

const linearCases: ConformanceCase[] = [
  [1, 1, 1, true],
  [7, 13, 5, true],
  [128, 84, 10, true],
  [9, 784, 12, false],
].map(([batch, inF, outF, bias]) => ({
  name: `linear [${batch}, ${inF}] → ${outF}${bias ? ' + bias' : ''}`,
  ops: GEMM_OPS,
  inputs: [
    { shape: [batch as number, inF as number] },
    { shape: [outF as number, inF as number] },
    ...(bias ? [{ shape: [outF as number] }] : []),
  ],
  run: (x: T.Tensor, w: T.Tensor, b?: T.Tensor) => T.linear(x, w, b ?? null),
  tol: DOT,
}));

interface ConvSpec {
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly bias?: boolean;
  readonly options?: T.Conv2dOptions;
  readonly label: string;
}

const CONV_SPECS: ConvSpec[] = [
  { label: '1×1 on 1×1', x: [1, 1, 1, 1], w: [1, 1, 1, 1] },
  {
    label: '3×3 1→32 pad 1 (convnet conv1, batch 2)',
    x: [2, 1, 28, 28],
    w: [32, 1, 3, 3],
    bias: true,
    options: { padding: 1 },
  },
  {
    label: '3×3 32→64 pad 1 (convnet conv2)',
    x: [1, 32, 14, 14],
    w: [64, 32, 3, 3],
    bias: true,
    options: { padding: 1 },
  },
  { label: '5×5 3→7 on 9×11, no padding', x: [2, 3, 9, 11], w: [7, 3, 5, 5], bias: true },
  { label: 'stride 2, padding 2', x: [3, 2, 10, 7], w: [5, 2, 3, 3], options: { stride: 2, padding: 2 } },
  {
    label: 'stride (2, 1), padding (1, 0), dilation (1, 2)',
    x: [1, 3, 9, 12],
    w: [4, 3, 3, 3],
    options: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
  },
  { label: 'dilation 2, padding 2', x: [2, 2, 8, 8], w: [3, 2, 3, 3], options: { dilation: 2, padding: 2 } },
  { label: 'groups 2', x: [2, 4, 7, 7], w: [6, 2, 3, 3], bias: true, options: { groups: 2, padding: 1 } },
  {
    label: 'depthwise 8 channels',
    x: [2, 8, 9, 9],
    w: [8, 1, 3, 3],
    bias: true,
    options: { groups: 8, padding: 1 },
  },
  {
    label: 'depthwise, stride 2, multiplier 2',
    x: [1, 3, 11, 11],
    w: [6, 1, 3, 3],
    options: { groups: 3, stride: 2, padding: 1 },
  },
  { label: '1×1 70 channels (large count)', x: [1, 70, 5, 5], w: [33, 70, 1, 1], bias: true },
  {
    label: 'kernel larger than input with padding',
    x: [1, 1, 2, 3],
    w: [2, 1, 5, 5],
    options: { padding: 2 },
  },
];

/**
 * The weight gradient sums N·H_out·W_out products per element; with cancellation its float32
 * rounding error grows with that count (≈ count·2⁻²⁴ in the worst case), not with the result.
 */
function gradTolerance(s: ConvSpec): Tolerance {
  const terms = s.x[0] * s.x[2] * s.x[3];
  return terms > 500 ? { atol: Math.max(2e-5, terms * 2 ** -24 * 2), rtol: 2e-5 } : DOT;
}

const convCases: ConformanceCase[] = CONV_SPECS.map((s) => ({
  name: `conv2d ${s.label}`,
  ops: ['conv2d', 'conv2dInputGrad', 'conv2dWeightGrad', 'reduceAxis', 'reshape', 'expand', 'binary'],
  inputs: [{ shape: s.x }, { shape: s.w }, ...(s.bias ? [{ shape: [s.w[0]] }] : [])],
  run: (x: T.Tensor, w: T.Tensor, b?: T.Tensor) => T.conv2d(x, w, b ?? null, s.options),
  tol: DOT,
  gradTol: gradTolerance(s),
}));

const poolCases: ConformanceCase[] = [
  { label: '2×2 stride 2', x: [2, 3, 8, 8], options: { kernel: 2, stride: 2 } },
  { label: '3×3 stride 2 pad 1 (odd input)', x: [1, 2, 9, 7], options: { kernel: 3, stride: 2, padding: 1 } },
  { label: '3×2 stride 1', x: [2, 1, 5, 6], options: { kernel: [3, 2] as const, stride: 1 } },
  { label: '1×1', x: [1, 1, 1, 1], options: { kernel: 1 } },
].flatMap(({ label, x, options }) => [
  {
    name: `maxPool2d ${label}`,
    ops: ['maxPool2d', 'maxPool2dGrad'],
    inputs: [{ shape: x }],
    run: (t: T.Tensor) => T.maxPool2d(t, options),
  },
  {
    name: `avgPool2d ${label}`,
    ops: ['avgPool2d', 'avgPool2dGrad'],
    inputs: [{ shape: x }],
    run: (t: T.Tensor) => T.avgPool2d(t, options),
    tol: DOT,
  },
  {
    name: `avgPool2d ${label} countIncludePad`,
    ops: ['avgPool2d', 'avgPool2dGrad'],
    inputs: [{ shape: x }],
    run: (t: T.Tensor) => T.avgPool2d(t, { ...options, countIncludePad: true }),
    tol: DOT,
  },
]);
poolCases.push({
  name: 'globalAvgPool2d [3, 5, 7, 9]',
  ops: ['reduceAxis', 'reshape', 'expand', 'unary'],
  inputs: [{ shape: [3, 5, 7, 9] }],
  run: (t) => T.globalAvgPool2d(t),
  tol: DOT,
});

const normCases: ConformanceCase[] = [
  [2, 3, 5, 7],
  [1, 1, 1, 2],
  [16, 4, 3, 3],
  [5, 6],
].flatMap((shape) => {
  const c = shape[1];
  return [
    {
      name: `batchNormTrain ${JSON.stringify(shape)}`,
      ops: ['batchNormTrain', 'batchNormGrad', 'reduceAxis', 'reshape', 'expand', 'binary', 'unary'],
      inputs: [{ shape }, { shape: [c], values: 'positive' as const }, { shape: [c] }],
      run: (x: T.Tensor, g: T.Tensor, b: T.Tensor) => {
        const r = T.batchNormTrain(x, g, b);
        return [r.y, r.mean, r.var];
      },
      tol: { atol: 1e-5, rtol: 1e-4 },
    },
    {
      name: `batchNormEval ${JSON.stringify(shape)}`,
      ops: ['batchNormEval', 'batchNormGrad', 'reduceAxis', 'reshape', 'expand', 'binary', 'unary'],
      inputs: [
        { shape },
        { shape: [c], values: 'positive' as const },
        { shape: [c] },
        { shape: [c], grad: false },
        { shape: [c], values: 'positive' as const, grad: false },
      ],
      run: (x: T.Tensor, g: T.Tensor, b: T.Tensor, m: T.Tensor, v: T.Tensor) =>
        T.batchNormEval(x, g, b, m, v),
      tol: { atol: 1e-5, rtol: 1e-4 },
    },
  ];
});

export const nnOpCases: ConformanceCase[] = [
  ...matmulCases,
  ...linearCases,
  ...convCases,
  ...poolCases,
  ...normCases,
];
