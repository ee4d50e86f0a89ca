/**
 * The FracBits quantizers as differentiable ops (FRACBITS.md §2): the fractional quantizer
 * `fracQuantize`, the bit-width clamp `clampBits`, the DoReFa weight quantizer and the PACT
 * activation quantizer. The forward passes run the fused kernels of `@fracbits/kernels`
 * (quant/frac, quant/pact), which also emit the per-element gradient partials; the backward rules
 * only multiply those by the incoming gradient and sum them per bit-width.
 */
import {
  fracParams,
  fracQuantKernel,
  lambdaLayout,
  MAX_QUANT_BITS,
  pactKernel,
  pactParams,
} from '@fracbits/kernels';
import {
  abs,
  defineOp,
  div,
  expectFloat,
  max,
  mean,
  mul,
  mulScalar,
  reshape,
  runOp,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  unary,
} from '@fracbits/tensor';

/** Zero level of a 0-bit weight: `2·0.5 − 1 = 0`, so the weight (channel) is pruned. */
export const WEIGHT_ZERO_LEVEL = 0.5;
/** Zero level of a 0-bit single-sided activation (FRACBITS.md §2). */
export const ACTIVATION_ZERO_LEVEL = 0;

function describeShape(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Throws unless `lambda` holds 1 bit-width or one per entry of `x`'s axis `axis`. */
function checkLambda(op: string, x: Tensor, lambda: Tensor, axis: number): void {
  expectFloat(op, x);
  expectFloat(op, lambda);
  if (lambda.size !== 1 && (axis >= x.rank || x.shape[axis] !== lambda.size)) {
    throw new Error(
      `${op}: expected 1 bit-width or one per entry of axis ${axis} of input ${describeShape(x)}, got λ of shape ${describeShape(lambda)}`,
    );
  }
}

/**
 * Sums `t` (shaped like the quantizer input) over the elements that share each bit-width, giving
 * a tensor shaped like `lambda`: the whole tensor for one λ, the slices along `axis` otherwise.
 */
export function sumPerLambda(t: Tensor, lambda: Tensor, axis: number): Tensor {
  if (lambda.size === 1) return reshape(sum(t), lambda.shape);
  const { inner, groups } = lambdaLayout(t.shape, lambda.size, axis);
  const grouped = reshape(t, [t.size / (inner * groups), groups, inner]);
  return reshape(sum(grouped, [0, 2]), lambda.shape);
}

// ---- fracQuantize ------------------------------------------------------------------------------

interface FracAttrs {
  readonly zero: number;
  readonly scale: number;
  readonly shift: number;
  readonly axis: number;
}

/** out = Qλ̂(u)·scale + shift; second output: ∂out/∂λ̂ per element (kept for the backward). */
const fracQuantizeOp = defineOp<FracAttrs>({
  name: 'fracQuantize',
  infer([u, lambda], { axis }) {
    checkLambda('fracQuantize', u, lambda, axis);
    return [
      { shape: u.shape, dtype: 'float32' },
      { shape: u.shape, dtype: 'float32' },
    ];
  },
  forward({ inputs: [u, lambda], outputs: [out, dlam], attrs, launch }) {
    launch(fracQuantKernel, [u, lambda, out, dlam], fracParams(u.shape, lambda.size, attrs));
  },
  backward([g], { inputs: [u, lambda], outputs: [, dlam], attrs }) {
    if (!g) return [null, null];
    // Straight-through to u (∂Q/∂u = 1, times the output scale); Q_hi − Q_lo summed per λ.
    const gu = u.requiresGrad ? (attrs.scale === 1 ? g : mulScalar(g, attrs.scale)) : null;
    const gl = lambda.requiresGrad ? sumPerLambda(mul(g, dlam), lambda, attrs.axis) : null;
    return [gu, gl];
  },
});

export interface FracQuantizeOptions {
  /** out = Q·scale + shift (default 1 and 0); keep `scale` a power of two. */
  readonly scale?: number;
  readonly shift?: number;
  /** The axis a per-slice λ runs along (default 0: the output channels of a weight). */
  readonly axis?: number;
}

/**
 * The fractional quantizer `Qλ̂(u) = f·Q_hi(u) + (1 − f)·Q_lo(u)` on u ∈ [0, 1] (FRACBITS.md §2).
 * `lambdaHat` holds clamped bit-widths (see {@link clampBits}): one for the tensor, or one per
 * entry of `axis`. Gradients: straight-through to u, `Q_hi − Q_lo` summed per λ.
 */
export function fracQuantize(
  u: Tensor,
  lambdaHat: Tensor,
  zeroLevel: number,
  options: FracQuantizeOptions = {},
): Tensor {
  if (!Number.isFinite(zeroLevel))
    throw new Error(`fracQuantize: expected a finite zero level, got ${zeroLevel}`);
  const attrs = {
    zero: zeroLevel,
    scale: options.scale ?? 1,
    shift: options.shift ?? 0,
    axis: options.axis ?? 0,
  };
  return withoutPartials(runOp(fracQuantizeOp, [u, lambdaHat], attrs));
}

/**
 * The first output of a quantizer op. The others are gradient partials: the autograd record keeps
 * them alive until the backward; when nothing was recorded (no grad needed) they are freed now.
 */
function withoutPartials([out, ...partials]: Tensor[]): Tensor {
  if (!out.node) for (const t of partials) t.dispose();
  return out;
}

// ---- clampBits ---------------------------------------------------------------------------------

/** Checks a bit-width range [bmin, bmax] ⊆ [0, 16] (the quant kernels' limit). */
export function checkBitsRange(who: string, bmin: number, bmax: number): void {
  if (
    !(Number.isFinite(bmin) && Number.isFinite(bmax) && bmin >= 0 && bmin <= bmax && bmax <= MAX_QUANT_BITS)
  ) {
    throw new Error(
      `${who}: expected a bit range 0 ≤ bmin ≤ bmax ≤ ${MAX_QUANT_BITS}, got [${bmin}, ${bmax}]`,
    );
  }
}

/**
 * λ̂ = clamp(λ, bmin, bmax) (FRACBITS.md §1). The gradient passes where bmin ≤ λ ≤ bmax
 * (boundaries included, as PyTorch's clamp) and is 0 outside; the stored λ is never clipped.
 */
export function clampBits(lambda: Tensor, bmin: number, bmax: number): Tensor {
  checkBitsRange('clampBits', bmin, bmax);
  expectFloat('clampBits', lambda);
  return unary('clamp', lambda, bmin, bmax);
}

// ---- weights (DoReFa, as used with SAT) --------------------------------------------------------

export interface WeightQuantizeOptions {
  /**
   * SAT rescale of the last linear layer (FRACBITS.md §2, option): `Wq·(1/√fanOut)/std(Wq)`, std
   * unbiased (PyTorch's default) on a detached copy. Give the layer's fan-out (out features).
   */
  readonly satFanOut?: number;
}

/**
 * `w̃ = tanh(W)/max|tanh(W)|` (max over the whole tensor, also for per-channel bits; gradients
 * flow through tanh and max), `u = (w̃ + 1)/2`, `Wq = 2·Qλ̂(u) − 1` with λ̂ per tensor or per
 * output channel (axis 0). 0 bits give exactly 0.
 */
export function quantizeWeight(
  weight: Tensor,
  lambdaHat: Tensor,
  options: WeightQuantizeOptions = {},
): Tensor {
  checkLambda('quantizeWeight', weight, lambdaHat, 0);
  const t = unary('tanh', weight);
  const normalized = div(t, max(abs(t)));
  const u = unary('affine', normalized, 0.5, 0.5);
  const wq = fracQuantize(u, lambdaHat, WEIGHT_ZERO_LEVEL, { scale: 2, shift: -1 });
  return options.satFanOut === undefined ? wq : satRescale(wq, options.satFanOut);
}

/** `wq·(1/√fanOut)/std(wq)`, the std (unbiased) taken on a detached copy: no gradient through it. */
export function satRescale(wq: Tensor, fanOut: number): Tensor {
  if (!(Number.isInteger(fanOut) && fanOut > 0))
    throw new Error(`satRescale: expected a positive integer fan-out, got ${fanOut}`);
  const d = wq.detach();
  const n = d.size;
  const variance = mulScalar(sum(square(sub(d, mean(d)))), 1 / Math.max(1, n - 1));
  const scale = mulScalar(unary('reciprocal', sqrt(variance)), 1 / Math.sqrt(fanOut));
  return mul(wq, scale);
}

// ---- activations (PACT) ------------------------------------------------------------------------

interface PactAttrs {
  readonly signed: boolean;
  readonly zero: number;
  readonly axis: number;
}

/** Outputs: [out, ∂out/∂x, ∂out/∂α, ∂out/∂λ̂] per element (the last three for the backward). */
const pactOp = defineOp<PactAttrs>({
  name: 'pact',
  infer([x, alpha, lambda], { axis }) {
    checkLambda('pact', x, lambda, axis);
    expectFloat('pact', alpha);
    if (alpha.size !== 1)
      throw new Error(`pact: expected a single clip value α, got shape ${describeShape(alpha)}`);
    return [0, 1, 2, 3].map(() => ({ shape: x.shape, dtype: 'float32' as const }));
  },
  forward({ inputs: [x, alpha, lambda], outputs: [out, dx, dalpha, dlam], attrs, launch }) {
    const params = pactParams(x.shape, lambda.size, { zero: attrs.zero, axis: attrs.axis });
    launch(pactKernel, [x, alpha, lambda, out, dx, dalpha, dlam], params, { signed: attrs.signed });
  },
  backward([g], { inputs: [x, alpha, lambda], outputs: [, dx, dalpha, dlam], attrs }) {
    if (!g) return [null, null, null];
    return [
      x.requiresGrad ? mul(g, dx) : null,
      alpha.requiresGrad ? reshape(sum(mul(g, dalpha)), alpha.shape) : null,
      lambda.requiresGrad ? sumPerLambda(mul(g, dlam), lambda, attrs.axis) : null,
    ];
  },
});

export interface PactOptions {
  /**
   * Double-sided PACT for inputs that can be negative (e.g. MobileNetV2 projection outputs):
   * `out = |α|·(2·Qλ̂((clip(x, −|α|, |α|)/|α| + 1)/2) − 1)`. Default: single-sided.
   */
  readonly signed?: boolean;
  /**
   * The 0-bit level. Default 0 single-sided (FRACBITS.md §2) and 0.5 double-sided, where
   * `2·Q − 1` then gives exactly 0 as for weights (the spec only states the single-sided case).
   */
  readonly zeroLevel?: number;
  /** The axis of a per-channel λ (default 1, NCHW channels); unused with one λ. */
  readonly axis?: number;
}

/**
 * PACT activation quantizer with a learnable clip α (FRACBITS.md §2), using |α|. Single-sided:
 * `out = |α|·Qλ̂(min(relu(x), |α|)/|α|)`. Gradients: x — 1 inside the clip range (0 < x < |α|,
 * resp. |x| < |α|), 0 outside; α — 1 where x ≥ |α|, Q(x/|α|) − x/|α| inside, 0 below 0 (double-
 * sided: −1 where x ≤ −|α|, 2Q − 1 − x/|α| inside), times sign(α); λ — |α|·(Q_hi − Q_lo)
 * (doubled when double-sided) summed per λ. (Where x ≥ |α| the α gradient is Qλ̂(1), which is 1
 * for every λ̂ ≥ 1; below 1 bit it is the exact derivative f.)
 */
export function pact(x: Tensor, alpha: Tensor, lambdaHat: Tensor, options: PactOptions = {}): Tensor {
  const signed = options.signed ?? false;
  const zero = options.zeroLevel ?? (signed ? WEIGHT_ZERO_LEVEL : ACTIVATION_ZERO_LEVEL);
  if (!Number.isFinite(zero)) throw new Error(`pact: expected a finite zero level, got ${zero}`);
  return withoutPartials(runOp(pactOp, [x, alpha, lambdaHat], { signed, zero, axis: options.axis ?? 1 }));
}
