import { describe, expect, it } from 'vitest';
import {
  add,
  backward,
  div,
  gradCheck,
  max,
  mean,
  mul,
  scope,
  sub,
  sum,
  type Tensor,
  tensor,
  unary,
} from '../src/index.js';

describe('binary ops and autograd', () => {
  it('adds with broadcasting', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([10, 20, 30], [3]);
    expect([...add(a, b).dataSync()]).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it('accumulates gradients through broadcasting', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true });
    const b = tensor([10, 20, 30], [1, 3], { requiresGrad: true });
    const l = sum(mul(a, b));
    backward(l);
    expect([...b.grad!.dataSync()]).toEqual([5, 7, 9]);
    expect([...a.grad!.dataSync()]).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it.each([
    ['add', (a: Tensor, b: Tensor) => add(a, b)],
    ['sub', (a: Tensor, b: Tensor) => sub(a, b)],
    ['mul', (a: Tensor, b: Tensor) => mul(a, b)],
    ['div', (a: Tensor, b: Tensor) => div(a, unary('affine', b, 1, 3))],
  ])('%s passes a gradient check on odd broadcast shapes', (_, f) => {
    const a = tensor(
      Array.from({ length: 3 * 5 * 7 }, (_, i) => Math.sin(i)),
      [3, 5, 7],
    );
    const b = tensor(
      Array.from({ length: 5 * 1 }, (_, i) => Math.cos(i)),
      [5, 1],
    );
    const r = gradCheck(f, [a, b]);
    expect(r.failures).toEqual([]);
  });

  it('reductions pass gradient checks', () => {
    const x = tensor(
      Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i * 1.3)),
      [2, 3, 5],
    );
    expect(gradCheck((t) => sum(t, [0, 2]), [x]).failures).toEqual([]);
    expect(gradCheck((t) => mean(t, 1, true), [x]).failures).toEqual([]);
    expect(gradCheck((t) => max(t, -1), [x]).failures).toEqual([]);
  });

  it('scope disposes intermediates but keeps results', () => {
    const a = tensor([1, 2, 3]);
    let inner: Tensor | undefined;
    const out = scope(() => {
      inner = mul(a, a);
      return add(inner, a);
    });
    expect(inner?.disposed).toBe(true);
    expect(out.disposed).toBe(false);
    expect([...out.dataSync()]).toEqual([2, 6, 12]);
  });
});
