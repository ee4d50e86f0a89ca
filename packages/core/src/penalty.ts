/**
 * The budget penalty κ·|cost(λ̂) − T| (FRACBITS.md §3), summed over one or more constraints, as an
 * op on the bit-width parameters.
 *
 * Cost models are host functions over plain numbers (@fracbits/plugin-api CostModel), so a step
 * reads the (tiny) λ tensors back once — `read()`, the one small readback per step — evaluates
 * every cost model and its exact gradient on the host, and `loss(reading)` then records an op
 * whose forward writes the penalty value and whose backward injects κ·sign(c − T)·∂c/∂λ̂ into the
 * λ gradients (masked where the clamp to [bmin, bmax] is active, as clampBits' own gradient).
 * Split in two so that a training step can `await` the read outside its synchronous `scope`.
 */
import { type Constraint, type PenaltyResult, penalty } from '@fracbits/cost';
import { unaryKernel } from '@fracbits/kernels';
import type { Module } from '@fracbits/nn';
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';
import { defineOp, mul, run1, type Tensor, tensor } from '@fracbits/tensor';
import type { QuantizedLayer } from './layers.js';
import { quantizedLayers } from './model.js';

export type { Constraint };

/** What one read of the bit-widths gives: costs, penalty value and λ gradients. */
export interface PenaltyReading {
  /** Clamped fractional bits per LayerInfo (what the costs were computed from). */
  readonly bits: BitAssignment[];
  /** Penalty value Σ κ|c − T|, per-constraint costs and ratios, gradient in λ̂. */
  readonly result: PenaltyResult;
  /** ∂penalty/∂λ for each trainable λ tensor (same order as {@link BudgetPenalty.parameters}). */
  readonly lambdaGrads: Float32Array[];
}

interface PenaltyAttrs {
  readonly grads: readonly Float32Array[];
}

const budgetPenaltyOp = defineOp<PenaltyAttrs>({
  name: 'budgetPenalty',
  infer([value, ...lambdas], { grads }) {
    if (value.size !== 1)
      throw new Error(`budgetPenalty: expected a one-element value, got ${value.describe()}`);
    lambdas.forEach((l, i) => {
      if (grads[i]?.length !== l.size) {
        throw new Error(`budgetPenalty: gradient ${i} has ${grads[i]?.length} entries for ${l.describe()}`);
      }
    });
    return [{ shape: [], dtype: 'float32' }];
  },
  // The value was computed on the host; the forward only moves it into the output tensor.
  forward({ inputs: [value], outputs: [out], launch }) {
    launch(unaryKernel, [value, out], { n: 1, alpha: 0, beta: 0 }, { op: 'identity' });
  },
  backward([g], { inputs: [, ...lambdas], attrs }) {
    if (!g) return lambdas.map(() => null).concat([null]);
    const gl = lambdas.map((l, i) =>
      l.requiresGrad ? mul(g, tensor(attrs.grads[i], l.shape, { backend: l.backend })) : null,
    );
    return [null, ...gl];
  },
});

/**
 * The budget penalty of a quantized model for fixed LayerInfo (see `layerInfos`). Only layers in
 * 'search' mode take part in the gradient: after discretisation the penalty is switched off.
 */
export class BudgetPenalty {
  private readonly layers: [string, QuantizedLayer][];
  private readonly layerIndex: Map<string, number>;

  constructor(
    readonly model: Module,
    readonly infos: readonly LayerInfo[],
    readonly constraints: readonly Constraint[],
  ) {
    if (constraints.length === 0) throw new Error('BudgetPenalty: expected at least one constraint');
    this.layers = quantizedLayers(model);
    if (this.layers.length === 0)
      throw new Error('BudgetPenalty: the model has no quantized layer (run quantizeModel first)');
    this.layerIndex = new Map(this.layers.map(([name], i) => [name, i]));
    for (const info of infos) {
      if (!this.layerIndex.has(baseName(info.name))) {
        throw new Error(`BudgetPenalty: LayerInfo "${info.name}" matches no quantized layer of the model`);
      }
    }
  }

  /** The λ tensors that receive a penalty gradient (trainable and in 'search' mode). */
  parameters(): Tensor[] {
    return this.searching().flatMap(([, l]) => l.lambdas());
  }

  /** Reads the λ parameters back (one small readback) and evaluates every constraint. */
  async read(): Promise<PenaltyReading> {
    const raw = await Promise.all(
      this.layers.map(async ([, l]) => ({
        w: l.bitsW.lambda ? await l.bitsW.lambda.data() : null,
        a: l.bitsA?.lambda ? await l.bitsA.lambda.data() : null,
      })),
    );
    return this.evaluate(raw);
  }

  /** {@link read} for backends with synchronous reads (CPU). */
  readSync(): PenaltyReading {
    return this.evaluate(
      this.layers.map(([, l]) => ({
        w: l.bitsW.lambda ? l.bitsW.lambda.dataSync() : null,
        a: l.bitsA?.lambda ? l.bitsA.lambda.dataSync() : null,
      })),
    );
  }

  /**
   * The penalty as a scalar tensor for the loss, recorded so that `backward` adds its gradient to
   * the λ parameters. Call it with the reading of the same step.
   */
  loss(reading: PenaltyReading): Tensor {
    const params = this.parameters();
    const value = tensor([reading.result.value], [1], { backend: this.layers[0][1].weight.backend });
    return run1(budgetPenaltyOp, [value, ...params], { grads: reading.lambdaGrads });
  }

  private searching(): [string, QuantizedLayer][] {
    return this.layers.filter(([, l]) => l.mode === 'search');
  }

  private evaluate(raw: readonly RawLambdas[]): PenaltyReading {
    // Clamped bits per module, then per LayerInfo (applications share their module's bits).
    const moduleBits = this.layers.map(([, l], i) => ({
      w: l.bitsW.clampValues(raw[i].w ?? []),
      a: l.bitsA ? l.bitsA.clampValues(raw[i].a ?? [])[0] : l.inputBits,
    }));
    const modules = this.infos.map((info) => this.layerIndex.get(baseName(info.name)) as number);
    const bits = modules.map((i) => moduleBits[i]);
    const result = penalty(this.constraints, this.infos, bits);
    // Gradient per module (summed over its applications), masked by the clamp, in parameter order.
    const gw = this.layers.map(([, l]) => new Float32Array(l.bitsW.size));
    const ga = this.layers.map(() => 0);
    modules.forEach((i, j) => {
      result.grad.w[j].forEach((g, o) => {
        gw[i][o] += g;
      });
      ga[i] += result.grad.a[j];
    });
    const lambdaGrads: Float32Array[] = [];
    this.layers.forEach(([, l], i) => {
      if (l.mode !== 'search') return;
      const { w, a } = raw[i];
      if (w) lambdaGrads.push(gw[i].map((g, o) => g * inside(w[o], l.bitsW.range)));
      if (a && l.bitsA) lambdaGrads.push(Float32Array.of(ga[i] * inside(a[0], l.bitsA.range)));
    });
    return { bits, result, lambdaGrads };
  }
}

interface RawLambdas {
  readonly w: ArrayLike<number> | null;
  readonly a: ArrayLike<number> | null;
}

/** clampBits' gradient mask: 1 inside [bmin, bmax], boundaries included. */
function inside(v: number, [lo, hi]: readonly [number, number]): number {
  return v >= lo && v <= hi ? 1 : 0;
}

function baseName(name: string): string {
  return name.replace(/#\d+$/, '');
}
