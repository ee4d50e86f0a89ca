/** Reductions, shape and layout ops, softmax, losses and indexing. */
import * as T from '@fracbits/tensor';
import { type ConformanceCase, FLOAT_SUM } from './harness.js';

const reduceCases: ConformanceCase[] = [];
for (const [fn, name] of [
  [T.sum, 'sum'],
  [T.mean, 'mean'],
  [T.max, 'max'],
  [T.min, 'min'],
] as const) {
  const values = name === 'max' || name === 'min' ? 'ties' : 'normal';
  const specs: [readonly number[], number | number[] | undefined, boolean][] = [
    [[1], undefined, false],
    [[7], 0, true],
    [[3, 5, 7], 0, false],
    [[3, 5, 7], 1, true],
    [[3, 5, 7], -1, false],
    [[3, 5, 7], [0, 2], false],
    [[2, 301, 3], 1, false],
    [[1000], undefined, false],
  ];
  for (const [shape, axes, keep] of specs) {
    reduceCases.push({
      name: `${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes ?? 'all')}${keep ? ' keepDims' : ''}`,
      ops: ['reduceAxis', 'reshape', 'expand', 'binary', 'unary'],
      inputs: [{ shape, values }],
      run: (x) => fn(x, axes, keep),
      // Both backends accumulate sequentially in index order, in float32: exact.
      tol: 'exact',
    });
  }
}

const shapeCases: ConformanceCase[] = [
  {
    name: 'reshape [2, 3, 5] → [5, -1]',
    ops: ['reshape'],
    inputs: [{ shape: [2, 3, 5] }],
    run: (x) => T.reshape(x, [5, -1]),
  },
  {
    name: 'flatten [3, 1, 2, 5]',
    ops: ['reshape'],
    inputs: [{ shape: [3, 1, 2, 5] }],
    run: (x) => T.flatten(x),
  },
  {
    name: 'squeeze [1, 3, 1, 5]',
    ops: ['reshape'],
    inputs: [{ shape: [1, 3, 1, 5] }],
    run: (x) => T.squeeze(x),
  },
  {
    name: 'unsqueeze [3, 5] at -1',
    ops: ['reshape'],
    inputs: [{ shape: [3, 5] }],
    run: (x) => T.unsqueeze(x, -1),
  },
];

const layoutCases: ConformanceCase[] = [
  {
    name: 'permute [2, 3, 5, 7] → [3, 1, 0, 2]',
    ops: ['permute'],
    inputs: [{ shape: [2, 3, 5, 7] }],
    run: (x) => T.permute(x, [3, 1, 0, 2]),
  },
  {
    name: 'permute [1, 1] identity',
    ops: ['permute'],
    inputs: [{ shape: [1, 1] }],
    run: (x) => T.permute(x, [1, 0]),
  },
  {
    name: 'transpose [17, 263] (tails)',
    ops: ['permute'],
    inputs: [{ shape: [17, 263] }],
    run: (x) => T.transpose(x, 0, 1),
  },
  {
    name: 'transpose [2, 3, 1, 5] axes 1, 3',
    ops: ['permute'],
    inputs: [{ shape: [2, 3, 1, 5] }],
    run: (x) => T.transpose(x, 1, 3),
  },
  {
    name: 'slice with negative indices and steps',
    ops: ['slice', 'stridedPad'],
    inputs: [{ shape: [7, 11, 5] }],
    run: (x) => T.slice(x, [1, -9, 0], [-1, 11, 5], [2, 3, 1]),
  },
  {
    name: 'slice to one element',
    ops: ['slice', 'stridedPad'],
    inputs: [{ shape: [5, 3] }],
    run: (x) => T.slice(x, [4, 2], [5, 3]),
  },
  {
    name: 'pad [3, 5, 2] by (1,2) (0,0) (3,1) with 0.5',
    ops: ['stridedPad', 'slice'],
    inputs: [{ shape: [3, 5, 2] }],
    run: (x) =>
      T.pad(
        x,
        [
          [1, 2],
          [0, 0],
          [3, 1],
        ],
        0.5,
      ),
  },
  {
    name: 'concat three tensors on axis 1',
    ops: ['concat', 'slice'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }, { shape: [2, 7, 4] }],
    run: (a, b, c) => T.concat([a, b, c], 1),
  },
  {
    name: 'concat on the last axis with a single-element tensor',
    ops: ['concat', 'slice'],
    inputs: [{ shape: [1, 1] }, { shape: [1, 260] }],
    run: (a, b) => T.concat([a, b], -1),
  },
];

const softmaxCases: ConformanceCase[] = [];
for (const [fn, name] of [
  [T.softmax, 'softmax'],
  [T.logSoftmax, 'logSoftmax'],
] as const) {
  for (const [shape, axis] of [
    [[1, 1], -1],
    [[7, 3], -1],
    [[3, 5, 7], 0],
    [[3, 5, 7], 1],
    [[2, 1000], -1],
  ] as const) {
    softmaxCases.push({
      name: `${name} ${JSON.stringify(shape)} axis ${axis}`,
      ops: ['softmax', 'reduceAxis', 'binary', 'unary', 'expand'],
      inputs: [{ shape }],
      run: (x) => fn(x, axis),
      tol: FLOAT_SUM,
    });
  }
}

const lossCases: ConformanceCase[] = [];
for (const [n, c] of [
  [1, 1],
  [7, 3],
  [5, 1000],
  [130, 10],
] as const) {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    lossCases.push({
      name: `crossEntropy [${n}, ${c}] ${reduction}`,
      ops: ['crossEntropy', 'crossEntropyBackward', 'reduceAxis', 'reshape', 'binary', 'unary', 'expand'],
      inputs: [{ shape: [n, c] }, { shape: [n], values: { labels: c } }],
      run: (logits, labels) => T.crossEntropy(logits, labels, { reduction }),
      tol: FLOAT_SUM,
    });
  }
  lossCases.push({
    name: `nllLoss of logSoftmax [${n}, ${c}]`,
    ops: ['softmax', 'oneHot', 'binary', 'reduceAxis', 'reshape', 'unary', 'expand'],
    inputs: [{ shape: [n, c] }, { shape: [n], values: { labels: c } }],
    run: (logits, labels) => T.nllLoss(T.logSoftmax(logits), labels),
    tol: FLOAT_SUM,
  });
}

const indexingCases: ConformanceCase[] = [
  {
    name: 'argmax [7, 13] last axis (ties)',
    ops: ['argmax'],
    inputs: [{ shape: [7, 13], values: 'ties' }],
    run: (x) => T.argmax(x),
    grad: false,
  },
  {
    name: 'argmax [3, 5, 7] axis 1 keepDims',
    ops: ['argmax'],
    inputs: [{ shape: [3, 5, 7] }],
    run: (x) => T.argmax(x, 1, true),
    grad: false,
  },
  {
    name: 'argmax [1, 1]',
    ops: ['argmax'],
    inputs: [{ shape: [1, 1] }],
    run: (x) => T.argmax(x),
    grad: false,
  },
  {
    name: 'oneHot [263] of 10',
    ops: ['oneHot'],
    inputs: [{ shape: [263], values: { labels: 10 } }],
    run: (l) => T.oneHot(l, 10),
    grad: false,
  },
  {
    name: 'oneHot [1] of 1',
    ops: ['oneHot'],
    inputs: [{ shape: [1], values: { labels: 1 } }],
    run: (l) => T.oneHot(l, 1),
    grad: false,
  },
];

export const tensorOpCases: ConformanceCase[] = [
  ...reduceCases,
  ...shapeCases,
  ...layoutCases,
  ...softmaxCases,
  ...lossCases,
  ...indexingCases,
];
