/** Finite-difference gradient check for cost models (central differences, away from kinks). */
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';
import { expect } from 'vitest';

function withBit(bits: readonly BitAssignment[], l: number, o: number | 'a', delta: number): BitAssignment[] {
  return bits.map((b, i) => {
    if (i !== l) return b;
    if (o === 'a') return { w: b.w, a: b.a + delta };
    return { w: b.w.map((x, j) => (j === o ? x + delta : x)), a: b.a };
  });
}

/** Checks every entry of grad.w and grad.a against (f(x+h) − f(x−h)) / 2h, relative to the largest. */
export function expectGradientsMatch(
  model: CostModel,
  layers: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  h = 1e-3,
): void {
  const { grad } = model.evaluate(layers, bits);
  const total = (b: BitAssignment[]) => model.evaluate(layers, b).total;
  const numeric = (l: number, o: number | 'a') =>
    (total(withBit(bits, l, o, h)) - total(withBit(bits, l, o, -h))) / (2 * h);
  const scale = Math.max(...grad.w.flat().map(Math.abs), ...grad.a.map(Math.abs), 1e-300);
  let nonzero = 0;
  bits.forEach((b, l) => {
    b.w.forEach((_, o) => {
      expect(Math.abs(grad.w[l][o] - numeric(l, o)) / scale, `${model.name} dw[${l}][${o}]`).toBeLessThan(
        1e-6,
      );
      if (grad.w[l][o] !== 0) nonzero++;
    });
    expect(Math.abs(grad.a[l] - numeric(l, 'a')) / scale, `${model.name} da[${l}]`).toBeLessThan(1e-6);
  });
  expect(nonzero, `${model.name}: some weight gradients are non-zero`).toBeGreaterThan(0);
}
