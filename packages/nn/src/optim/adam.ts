import { add, addScalar, div, mulScalar, sub, type Tensor, unary } from '@fracbits/tensor';
import { checkNumber, Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly (p ← p·(1 − lr·wd)) instead of adding wd·p to the gradient. */
  decoupled: boolean;
}

export interface AdamOptions extends Partial<AdamHyper> {
  lr: number;
}

/**
 * Adam (PyTorch semantics, bias-corrected):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
 * with t counted per parameter (steps where it had a gradient). `decoupled` gives AdamW.
 */
export class Adam extends Optimizer<AdamHyper> {
  private readonly steps = new Map<Tensor, number>();

  constructor(params: readonly Tensor[] | readonly ParamGroup<AdamHyper>[], options: AdamOptions) {
    super('adam', params, options.lr, {
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      decoupled: options.decoupled ?? false,
    });
  }

  protected validate(h: AdamHyper, where: string): void {
    checkNumber(h.beta1, `Adam ${where}: beta1`, 0, 0.999999);
    checkNumber(h.beta2, `Adam ${where}: beta2`, 0, 0.999999);
    checkNumber(h.eps, `Adam ${where}: eps`, 0);
    checkNumber(h.weightDecay, `Adam ${where}: weightDecay`, 0);
  }

  protected update(p: Tensor, g: Tensor, lr: number, h: AdamHyper): Tensor {
    const t = (this.steps.get(p) ?? 0) + 1;
    this.steps.set(p, t);
    let base = p;
    if (h.weightDecay !== 0) {
      if (h.decoupled) base = mulScalar(p, 1 - lr * h.weightDecay);
      else g = add(g, mulScalar(p, h.weightDecay));
    }
    const m0 = this.getSlot(p, 'exp_avg');
    const v0 = this.getSlot(p, 'exp_avg_sq');
    // With zero-initialised moments the first update is exactly (1−β)·g, so no zeros are uploaded.
    const m = m0 ? add(mulScalar(m0, h.beta1), mulScalar(g, 1 - h.beta1)) : mulScalar(g, 1 - h.beta1);
    const g2 = unary('square', g);
    const v = v0 ? add(mulScalar(v0, h.beta2), mulScalar(g2, 1 - h.beta2)) : mulScalar(g2, 1 - h.beta2);
    this.setSlot(p, 'exp_avg', m);
    this.setSlot(p, 'exp_avg_sq', v);
    const stepSize = lr / (1 - h.beta1 ** t);
    const denom = addScalar(mulScalar(unary('sqrt', v), 1 / Math.sqrt(1 - h.beta2 ** t)), h.eps);
    return sub(base, mulScalar(div(m, denom), stepSize));
  }

  protected override extraMeta(): Record<string, unknown> {
    return { steps: this.params.map((p) => this.steps.get(p) ?? 0) };
  }

  protected override loadExtraMeta(meta: Record<string, unknown>): void {
    const steps = meta.steps;
    if (!Array.isArray(steps) || steps.length !== this.params.length) {
      throw new Error(`adam.loadState: metadata "steps" must list one step count per parameter`);
    }
    this.steps.clear();
    this.params.forEach((p, i) => {
      if (steps[i] > 0) this.steps.set(p, Number(steps[i]));
    });
  }
}
