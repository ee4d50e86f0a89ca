import { add, addScalar, minimum, mul, noGrad, scope, sum, type Tensor, unary } from '@fracbits/tensor';

/**
 * Scales the gradients of `params` so their global L2 norm is at most `maxNorm` (PyTorch's
 * clip_grad_norm_: coef = min(maxNorm/(norm + 1e-6), 1)). Stays on the device; returns the norm
 * before clipping as a scalar tensor (the caller owns it), or null when no parameter has a grad.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor | null {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const withGrad = [...params].filter((p) => p.grad !== null);
  if (withGrad.length === 0) return null;
  return noGrad(() =>
    scope(() => {
      let total: Tensor | null = null;
      for (const p of withGrad) {
        const s = sum(unary('square', p.grad!));
        total = total ? add(total, s) : s;
      }
      const norm = unary('sqrt', total!);
      const coef = minimum(mul(unary('reciprocal', addScalar(norm, 1e-6)), maxNorm), 1);
      for (const p of withGrad) p.grad!.assign(mul(p.grad!, coef));
      return norm;
    }),
  );
}
