/**
 * The budget penalty Σ_k κ_k·|c_k − T_k| over one or more cost constraints (FRACBITS.md §3: a
 * two-sided L1 that also pushes up when under budget), with its gradient in the bit-widths.
 */
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';

export interface Constraint {
  readonly model: CostModel;
  /** Target in `model.unit` (see resolveTarget). */
  readonly target: number;
  /** Weight κ of this constraint's penalty, per `model.unit`. */
  readonly kappa: number;
}

export interface ConstraintValue {
  readonly name: string;
  readonly unit: string;
  readonly cost: number;
  readonly target: number;
  readonly kappa: number;
  /** κ·|cost − target|. */
  readonly value: number;
  /** cost / target. */
  readonly ratio: number;
}

export interface PenaltyResult {
  readonly value: number;
  /** ∂value/∂bits: Σ_k κ_k·sign(c_k − T_k)·∂c_k/∂bits (sign(0) = 0). */
  readonly grad: { readonly w: number[][]; readonly a: number[] };
  readonly constraints: ConstraintValue[];
}

/** Evaluates every constraint on the same bit assignment and sums the penalties. */
export function penalty(
  constraints: readonly Constraint[],
  layers: readonly LayerInfo[],
  bits: readonly BitAssignment[],
): PenaltyResult {
  const grad = { w: bits.map((b) => b.w.map(() => 0)), a: bits.map(() => 0) };
  let value = 0;
  const values = constraints.map((c, k) => {
    const who = `penalty: constraint ${k} ('${c?.model?.name}')`;
    if (typeof c?.model?.evaluate !== 'function')
      throw new Error(`penalty: constraint ${k} has no cost model`);
    if (!Number.isFinite(c.target) || c.target <= 0)
      throw new Error(`${who}: expected a positive target, got ${c.target}`);
    if (!Number.isFinite(c.kappa) || c.kappa < 0)
      throw new Error(`${who}: expected kappa ≥ 0, got ${c.kappa}`);
    const result = c.model.evaluate(layers, bits);
    const cost = result.total;
    const sign = Math.sign(cost - c.target);
    const scale = c.kappa * sign;
    result.grad.w.forEach((gw, l) => {
      gw.forEach((g, o) => {
        grad.w[l][o] += scale * g;
      });
      grad.a[l] += scale * result.grad.a[l];
    });
    const v = c.kappa * Math.abs(cost - c.target);
    value += v;
    return {
      name: c.model.name,
      unit: c.model.unit,
      cost,
      target: c.target,
      kappa: c.kappa,
      value: v,
      ratio: cost / c.target,
    };
  });
  return { value, grad, constraints: values };
}
