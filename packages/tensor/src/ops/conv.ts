/**
 * 2-D convolution as im2col + GEMM. Per chunk of samples, `conv/im2col` lays each sample out as
 * a [C·kh·kw, ho·wo] matrix and one batched GEMM multiplies every (sample, group) pair:
 * y[n, g] = W[g] · col[n, g] (+ bias, fused). Backward:
 *   dx: dcol[n, g] = W[g]ᵀ · dy[n, g], then `conv/col2im` gathers it back (no atomics);
 *   dW: dW[g] = Σ_n dy[n, g] · col[n, g]ᵀ — GEMMs that sum over groups of samples inside the
 *       kernel, into partials added by one reduction;
 *   db: Σ over samples and positions of dy.
 * Chunks bound the im2col scratch (COL_CHUNK_ELEMENTS); a 1×1, stride-1, unpadded convolution
 * skips im2col and reads x itself. All layouts are expressed as GEMM strides, no copies.
 */
import {
  axisReduceKernel,
  type Conv2dGeometry,
  col2imKernel,
  conv2dParams,
  convOutputSize,
  GEMM_TILE,
  gemmKernel,
  gemmParams,
  im2colKernel,
} from '@fracbits/kernels';
import { defineOp, expectFloat, type ForwardContext, run1 } from '../op.js';
import { formatShape, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

/** A spatial hyper-parameter: one number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Default 1. */
  readonly stride?: Pair;
  /** Zero padding on each side; default 0. */
  readonly padding?: Pair;
  /** Default 1. */
  readonly dilation?: Pair;
  /** Default 1; C and O must be multiples. groups = C is a depthwise convolution. */
  readonly groups?: number;
}

interface ConvAttrs {
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly groups: number;
}

/** Largest im2col scratch per launch, in elements (8 MiB): chunks of samples stay below it. */
const COL_CHUNK_ELEMENTS = 1 << 21;

/** Normalises a number-or-pair option, checking it is an integer ≥ `min`. */
export function toPair(
  op: string,
  name: string,
  value: Pair | undefined,
  fallback: number,
  min: number,
): [number, number] {
  const pair: [number, number] =
    value === undefined
      ? [fallback, fallback]
      : typeof value === 'number'
        ? [value, value]
        : [value[0], value[1]];
  if (!pair.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(
      `${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return pair;
}

function convAttrs(options: Conv2dOptions): ConvAttrs {
  const [sh, sw] = toPair('conv2d', 'stride', options.stride, 1, 1);
  const [ph, pw] = toPair('conv2d', 'padding', options.padding, 0, 0);
  const [dh, dw] = toPair('conv2d', 'dilation', options.dilation, 1, 1);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new Error(`conv2d: groups must be a positive integer, got ${groups}`);
  return { sh, sw, ph, pw, dh, dw, groups };
}

/** Everything a launch needs, derived from the input and weight shapes. */
interface ConvPlan {
  readonly geometry: Conv2dGeometry;
  readonly n: number;
  readonly o: number;
  readonly groups: number;
  /** Output channels and GEMM depth (C/groups·kh·kw) per group. */
  readonly og: number;
  readonly kg: number;
  /** Output positions per sample (ho·wo) and im2col rows per sample (C·kh·kw). */
  readonly p: number;
  readonly rows: number;
  /** A 1×1, stride-1, unpadded convolution: x already is its im2col matrix. */
  readonly pointwise: boolean;
  /** Samples per im2col chunk. */
  readonly chunk: number;
}

function plan(xShape: Shape, wShape: Shape, a: ConvAttrs): ConvPlan {
  const [n, c, h, w] = xShape;
  const [o, , kh, kw] = wShape;
  const ho = convOutputSize(h, kh, a.sh, a.ph, a.dh);
  const wo = convOutputSize(w, kw, a.sw, a.pw, a.dw);
  const geometry: Conv2dGeometry = {
    c,
    h,
    w,
    kh,
    kw,
    sh: a.sh,
    sw: a.sw,
    ph: a.ph,
    pw: a.pw,
    dh: a.dh,
    dw: a.dw,
    ho,
    wo,
  };
  const p = ho * wo;
  const rows = c * kh * kw;
  const pointwise = kh === 1 && kw === 1 && a.sh === 1 && a.sw === 1 && a.ph === 0 && a.pw === 0;
  const chunk = pointwise ? n : Math.max(1, Math.min(n, Math.floor(COL_CHUNK_ELEMENTS / (rows * p))));
  return {
    geometry,
    n,
    o,
    groups: a.groups,
    og: o / a.groups,
    kg: rows / a.groups,
    p,
    rows,
    pointwise,
    chunk,
  };
}

/** Validates conv2d operands; the messages name the layer's shapes. */
function validate(x: Tensor, w: Tensor, bias: Tensor | undefined, a: ConvAttrs): number[] {
  expectFloat('conv2d', x);
  expectFloat('conv2d', w);
  if (x.rank !== 4) throw new Error(`conv2d: expected input [N, C, H, W], got ${x.describe()}`);
  if (w.rank !== 4) throw new Error(`conv2d: expected weight [O, C/groups, kh, kw], got ${w.describe()}`);
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const layer = `input ${formatShape(x.shape)}, weight ${formatShape(w.shape)}, groups ${a.groups}`;
  if (c % a.groups !== 0 || o % a.groups !== 0) {
    throw new Error(
      `conv2d: groups ${a.groups} must divide input channels ${c} and output channels ${o} (${layer})`,
    );
  }
  if (cg !== c / a.groups) {
    throw new Error(
      `conv2d: weight expects ${cg} input channels per group, input has ${c}/${a.groups} = ${c / a.groups} (${layer})`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new Error(`conv2d: bias ${bias.describe()} must be [${o}] (${layer})`);
  }
  const ho = convOutputSize(h, kh, a.sh, a.ph, a.dh);
  const wo = convOutputSize(wd, kw, a.sw, a.pw, a.dw);
  if (ho < 1 || wo < 1) {
    throw new Error(
      `conv2d: kernel ${kh}×${kw} with dilation ${a.dh}×${a.dw} does not fit input ${h}×${wd} padded by ${a.ph}×${a.pw} (${layer})`,
    );
  }
  return [n, o, ho, wo];
}

/** Runs `body(n0, count)` over the chunks of samples. */
function forChunks(pl: ConvPlan, body: (n0: number, count: number) => void): void {
  for (let n0 = 0; n0 < pl.n; n0 += pl.chunk) body(n0, Math.min(pl.chunk, pl.n - n0));
}

/** im2col scratch for one chunk (none for pointwise convolutions, which read x directly). */
function colScratch(ctx: ForwardContext<unknown>, pl: ConvPlan) {
  return pl.pointwise ? null : ctx.scratch('float32', pl.chunk * pl.rows * pl.p);
}

const conv2dOp = defineOp<ConvAttrs>({
  name: 'conv2d',
  infer([x, w, bias], attrs) {
    return [{ shape: validate(x, w, bias, attrs), dtype: 'float32' }];
  },
  forward(ctx) {
    const {
      inputs: [x, w, bias],
      outputs: [y],
      attrs,
      launch,
    } = ctx;
    const pl = plan(x.shape, w.shape, attrs);
    const { og, kg, p, rows, o } = pl;
    const col = colScratch(ctx, pl);
    forChunks(pl, (n0, count) => {
      if (col) launch(im2colKernel, [x, col], conv2dParams(pl.geometry, n0, count));
      const params = gemmParams({
        m: og,
        n: p,
        k: kg,
        batch1: count,
        batch2: pl.groups,
        a: { row: kg, col: 1, batch2: og * kg },
        b: { offset: col ? 0 : n0 * rows * p, row: p, col: 1, batch1: rows * p, batch2: kg * p },
        c: { offset: n0 * o * p, row: p, batch1: o * p, batch2: og * p },
        bias: bias ? { row: 1, col: 0, batch2: og } : null,
      });
      launch(gemmKernel, [w, col ?? x, bias ?? w, y], params);
    });
  },
  backward([g], { inputs: [x, w, bias], attrs }) {
    if (!g) return [null, null, null];
    const [n, o, ho, wo] = g.shape;
    return [
      x.requiresGrad ? run1(conv2dInputGradOp, [g, w], { ...attrs, inputShape: x.shape }) : null,
      w.requiresGrad ? run1(conv2dWeightGradOp, [g, x], { ...attrs, weightShape: w.shape }) : null,
      bias?.requiresGrad ? sum(reshape(g, [n, o, ho * wo]), [0, 2]) : null,
    ];
  },
});

/** dx = col2im(Wᵀ·dy) per (sample, group); inputs [dy, w]. */
const conv2dInputGradOp = defineOp<ConvAttrs & { readonly inputShape: Shape }>({
  name: 'conv2dInputGrad',
  infer(_, { inputShape }) {
    return [{ shape: inputShape, dtype: 'float32' }];
  },
  forward(ctx) {
    const {
      inputs: [g, w],
      outputs: [dx],
      attrs,
      launch,
    } = ctx;
    const pl = plan(attrs.inputShape, w.shape, attrs);
    const { og, kg, p, rows, o } = pl;
    const dcol = colScratch(ctx, pl);
    forChunks(pl, (n0, count) => {
      const params = gemmParams({
        m: kg,
        n: p,
        k: og,
        batch1: count,
        batch2: pl.groups,
        a: { row: 1, col: kg, batch2: og * kg }, // W[g]ᵀ read in place
        b: { offset: n0 * o * p, row: p, col: 1, batch1: o * p, batch2: og * p },
        c: { offset: dcol ? 0 : n0 * rows * p, row: p, batch1: rows * p, batch2: kg * p },
      });
      launch(gemmKernel, [w, g, w, dcol ?? dx], params);
      if (dcol) launch(col2imKernel, [dcol, dx], conv2dParams(pl.geometry, n0, count));
    });
  },
});

/**
 * Samples summed per partial weight gradient. The reduction over samples is split so that the
 * GEMM has enough independent output tiles to fill a GPU (a small layer's dW alone is a handful
 * of 32×32 tiles, each summing N·ho·wo products); the partials are added by one reduction.
 */
function samplesPerPartial(pl: ConvPlan): number {
  const tiles = pl.groups * Math.ceil(pl.og / GEMM_TILE) * Math.ceil(pl.kg / GEMM_TILE);
  const partials = Math.min(pl.n, MAX_WEIGHT_GRAD_PARTIALS, Math.ceil(WEIGHT_GRAD_TARGET_TILES / tiles));
  return Math.min(pl.chunk, Math.ceil(pl.n / partials));
}

/** Enough workgroups to keep a GPU busy, and a bound on the partials' scratch (× |W|). */
const WEIGHT_GRAD_TARGET_TILES = 256;
const MAX_WEIGHT_GRAD_PARTIALS = 64;

/**
 * dW[g] = Σ_n dy[n, g]·col[n, g]ᵀ; inputs [dy, x]. Each im2col chunk's samples are split into
 * groups of `samplesPerPartial`, one GEMM (summing over the group's samples) per group, into
 * partial gradients that `reduce/axis` adds up (skipped when there is a single partial).
 */
const conv2dWeightGradOp = defineOp<ConvAttrs & { readonly weightShape: Shape }>({
  name: 'conv2dWeightGrad',
  infer(_, { weightShape }) {
    return [{ shape: weightShape, dtype: 'float32' }];
  },
  forward(ctx) {
    const {
      inputs: [g, x],
      outputs: [dw],
      attrs,
      launch,
    } = ctx;
    const pl = plan(x.shape, attrs.weightShape, attrs);
    const { og, kg, p, rows, o } = pl;
    const col = colScratch(ctx, pl);
    const q = samplesPerPartial(pl);
    let total = 0;
    forChunks(pl, (_, count) => {
      total += Math.ceil(count / q);
    });
    const size = o * kg;
    const partials = total > 1 ? ctx.scratch('float32', total * size) : null;
    let next = 0;
    forChunks(pl, (n0, count) => {
      if (col) launch(im2colKernel, [x, col], conv2dParams(pl.geometry, n0, count));
      // Full groups of q samples in one batched launch, then the remainder as one more partial.
      const full = Math.floor(count / q);
      for (const [first, groups, samples] of [
        [0, full, q],
        [full * q, count > full * q ? 1 : 0, count - full * q],
      ]) {
        if (groups === 0) continue;
        const params = gemmParams({
          m: og,
          n: kg,
          k: p,
          batch1: groups,
          batch2: pl.groups,
          sumCount: samples,
          a: { offset: (n0 + first) * o * p, row: p, col: 1, batch1: q * o * p, batch2: og * p, sum: o * p },
          // colᵀ: im2col rows read as columns
          b: {
            offset: (col ? first : n0 + first) * rows * p,
            row: 1,
            col: p,
            batch1: q * rows * p,
            batch2: kg * p,
            sum: rows * p,
          },
          c: { offset: partials ? next * size : 0, row: kg, batch1: size, batch2: og * kg },
        });
        launch(gemmKernel, [g, col ?? x, g, partials ?? dw], params);
        next += groups;
      }
    });
    if (partials)
      launch(
        axisReduceKernel,
        [partials, dw],
        { outer: 1, len: total, inner: size, scale: 1 },
        { op: 'sum' },
      );
  },
});

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, C, H, W] with w [O, C/groups, kh, kw]
 * and an optional bias [O] → [N, O, ho, wo]. Differentiable in x, w and bias.
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return run1(conv2dOp, bias ? [x, w, bias] : [x, w], convAttrs(options));
}
