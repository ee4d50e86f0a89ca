import { add, mulScalar, sub, type Tensor } from '@fracbits/tensor';
import { checkNumber, Optimizer, type ParamGroup } from './optimizer.js';

export interface SgdHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface SgdOptions extends Partial<SgdHyper> {
  lr: number;
}

/**
 * Stochastic gradient descent with PyTorch's semantics:
 *   d = g + weightDecay·p;  buf = d on the first step, else momentum·buf + (1 − dampening)·d;
 *   d = nesterov ? d + momentum·buf : buf;  p ← p − lr·d.
 */
export class SGD extends Optimizer<SgdHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroup<SgdHyper>[], options: SgdOptions) {
    super('sgd', params, options.lr, {
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
    });
  }

  protected validate(h: SgdHyper, where: string): void {
    checkNumber(h.momentum, `SGD ${where}: momentum`, 0);
    checkNumber(h.dampening, `SGD ${where}: dampening`, 0, 1);
    checkNumber(h.weightDecay, `SGD ${where}: weightDecay`, 0);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error(`SGD ${where}: nesterov needs momentum > 0 and dampening 0`);
    }
  }

  protected update(p: Tensor, g: Tensor, lr: number, h: SgdHyper): Tensor {
    let d = h.weightDecay !== 0 ? add(g, mulScalar(p, h.weightDecay)) : g;
    if (h.momentum !== 0) {
      const prev = this.getSlot(p, 'momentum');
      const buf = prev ? add(mulScalar(prev, h.momentum), mulScalar(d, 1 - h.dampening)) : d;
      this.setSlot(p, 'momentum', buf);
      d = h.nesterov ? add(d, mulScalar(buf, h.momentum)) : buf;
    }
    return sub(p, mulScalar(d, lr));
  }
}
