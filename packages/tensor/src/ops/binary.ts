import {
  type BinaryFunction,
  binaryKernel,
  binaryParams,
  type UnaryFunction,
  unaryKernel,
} from '@fracbits/kernels';
import { scalar } from '../creation.js';
import { defineOp, expectFloat, run1 } from '../op.js';
import { broadcastShapes, broadcastStrides, type Shape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

interface BinaryAttrs {
  readonly op: BinaryFunction;
}

/**
 * Reduces a broadcast gradient back to `shape` by summing over the broadcast dimensions (the
 * backward rule of every broadcasting op).
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}

const binaryOp = defineOp<BinaryAttrs>({
  name: 'binary',
  infer([a, b], { op }) {
    expectFloat(op, a);
    expectFloat(op, b);
    return [{ shape: broadcastShapes(a.shape, b.shape, op), dtype: 'float32' }];
  },
  forward({ inputs: [a, b], outputs: [out], attrs, launch }) {
    const params = binaryParams(
      out.shape,
      broadcastStrides(a.shape, out.shape),
      broadcastStrides(b.shape, out.shape),
    );
    launch(binaryKernel, [a, b, out], params, { op: attrs.op });
  },
  backward([g], { inputs: [a, b], outputs: [out], attrs }) {
    if (!g) return [null, null];
    const ga = a.requiresGrad;
    const gb = b.requiresGrad;
    switch (attrs.op) {
      case 'add':
        return [ga ? sumToShape(g, a.shape) : null, gb ? sumToShape(g, b.shape) : null];
      case 'sub':
        return [ga ? sumToShape(g, a.shape) : null, gb ? sumToShape(neg(g), b.shape) : null];
      case 'mul':
        return [ga ? sumToShape(mul(g, b), a.shape) : null, gb ? sumToShape(mul(g, a), b.shape) : null];
      case 'div':
        // d(a/b)/da = 1/b; d(a/b)/db = −a/b² = −out/b
        return [
          ga ? sumToShape(div(g, b), a.shape) : null,
          gb ? sumToShape(neg(div(mul(g, out), b)), b.shape) : null,
        ];
      case 'maximum':
      case 'minimum': {
        // The gradient goes to the selected operand; ties go to `a` (as PyTorch splits them
        // evenly, but a single owner keeps the op exact for finite differences away from ties).
        const pickA = attrs.op === 'maximum' ? binary('greaterEqual', a, b) : binary('greaterEqual', b, a);
        const pickB = unary('affine', pickA, -1, 1);
        return [
          ga ? sumToShape(mul(g, pickA), a.shape) : null,
          gb ? sumToShape(mul(g, pickB), b.shape) : null,
        ];
      }
      case 'pow':
        // d(a^b)/da = b·a^(b−1); d(a^b)/db = a^b·ln a
        return [
          ga ? sumToShape(mul(g, mul(b, binary('pow', a, unary('affine', b, 1, -1)))), a.shape) : null,
          gb ? sumToShape(mul(g, mul(out, unary('log', a))), b.shape) : null,
        ];
      default:
        return [null, null];
    }
  },
});

/** Applies a broadcasting binary function (see BINARY_FUNCTIONS in @fracbits/kernels). */
export function binary(op: BinaryFunction, a: Tensor, b: Tensor): Tensor {
  return run1(binaryOp, [a, b], { op });
}

/** A scalar tensor on `like`'s backend. */
function scalarLike(value: number, like: Tensor): Tensor {
  return scalar(value, { backend: like.backend });
}

type Operand = Tensor | number;
function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number')
    throw new Error('binary op: at least one operand must be a tensor');
  const ta = typeof a === 'number' ? scalarLike(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalarLike(b, a as Tensor) : b;
  return [ta, tb];
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', ...operands(a, b));
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', ...operands(a, b));
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', ...operands(a, b));
export const div = (a: Operand, b: Operand): Tensor => binary('div', ...operands(a, b));
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', ...operands(a, b));
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', ...operands(a, b));
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', ...operands(a, b));

/** 1 where a == b (broadcast), else 0; no gradient. */
export function binaryMask(a: Tensor, b: Tensor): Tensor {
  return run1(binaryOp, [a.detach(), b.detach()], { op: 'equal' });
}

interface ExpandAttrs {
  readonly shape: Shape;
}

const expandOp = defineOp<ExpandAttrs>({
  name: 'expand',
  infer([x], { shape }) {
    expectFloat('expand', x);
    const target = broadcastShapes(x.shape, shape, 'expand');
    if (!shapesEqual(target, shape))
      throw new Error(`expand: cannot broadcast ${x.describe()} to [${shape.join(', ')}]`);
    return [{ shape, dtype: 'float32' }];
  },
  forward({ inputs: [x], outputs: [y], launch }) {
    const strides = broadcastStrides(x.shape, y.shape);
    launch(binaryKernel, [x, x, y], binaryParams(y.shape, strides, strides), { op: 'left' });
  },
  backward([g], { inputs: [x] }) {
    return [g ? sumToShape(g, x.shape) : null];
  },
});

/** Broadcasts `x` to `shape` (materialised); the gradient sums back. */
export function expandTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  return run1(expandOp, [x], { shape });
}

// ---- unary functions with their gradients ------------------------------------------------------

interface UnaryAttrs {
  readonly op: UnaryFunction;
  readonly alpha: number;
  readonly beta: number;
}

const unaryOp = defineOp<UnaryAttrs>({
  name: 'unary',
  infer([x], { op }) {
    expectFloat(op, x);
    return [{ shape: x.shape, dtype: 'float32' }];
  },
  forward({ inputs: [x], outputs: [y], attrs, launch }) {
    launch(unaryKernel, [x, y], { n: x.size, alpha: attrs.alpha, beta: attrs.beta }, { op: attrs.op });
  },
  backward([g], { inputs: [x], outputs: [y], attrs }) {
    if (!g) return [null];
    const { alpha, beta } = attrs;
    switch (attrs.op) {
      case 'identity':
        return [g];
      case 'neg':
        return [neg(g)];
      case 'affine':
        return [unary('affine', g, alpha, 0)];
      case 'relu':
        return [mul(g, unary('greaterThan', x, 0, 0))];
      case 'relu6':
      case 'clamp': {
        // Gradient 1 inside [lo, hi] (boundaries included, as PyTorch's clamp), 0 outside.
        const [lo, hi] = attrs.op === 'relu6' ? [0, 6] : [alpha, beta];
        const inside =
          attrs.op === 'relu6'
            ? mul(unary('greaterThan', x, lo, 0), unary('insideRange', x, lo, hi))
            : unary('insideRange', x, lo, hi);
        return [mul(g, inside)];
      }
      case 'tanh':
        return [mul(g, unary('affine', unary('square', y, 0, 0), -1, 1))];
      case 'sigmoid':
        return [mul(g, mul(y, unary('affine', y, -1, 1)))];
      case 'abs':
        return [mul(g, unary('sign', x, 0, 0))];
      case 'sign':
      case 'floor':
      case 'ceil':
      case 'round':
      case 'insideRange':
      case 'greaterThan':
        return [null];
      case 'exp':
        return [mul(g, y)];
      case 'log':
        return [div(g, x)];
      case 'sqrt':
        return [div(g, unary('affine', y, 2, 0))];
      case 'reciprocal':
        return [neg(mul(g, unary('square', y, 0, 0)))];
      case 'square':
        return [mul(g, unary('affine', x, 2, 0))];
      case 'powScalar':
        return [mul(g, unary('affine', unary('powScalar', x, alpha - 1, 0), alpha, 0))];
    }
  },
});

/** Applies a unary function from UNARY_FUNCTIONS; `alpha`/`beta` are its parameters. */
export function unary(op: UnaryFunction, x: Tensor, alpha = 0, beta = 0): Tensor {
  return run1(unaryOp, [x], { op, alpha, beta });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const mulScalar = (x: Tensor, s: number): Tensor => unary('affine', x, s, 0);
export const addScalar = (x: Tensor, s: number): Tensor => unary('affine', x, 1, s);
