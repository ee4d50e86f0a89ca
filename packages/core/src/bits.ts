/**
 * Bit-width parameters (FRACBITS.md §1): a trainable float λ per layer (layer-wise) or per output
 * channel (kernel-wise), initialised off an integer, clamped to [bmin, bmax] in the forward pass
 * but never clipped in storage — or a pinned constant (first conv, last linear weights: 8 bits).
 */
import { type Backend, full, keep, type Tensor, tensor } from '@fracbits/tensor';
import { checkBitsRange, clampBits } from './quantizers.js';

/**
 * How quantized layers run: `search` — fractional λ trained with the network; `fixed` — the
 * stored bit-widths (integers after discretisation, or a uniform QAT baseline) are frozen;
 * `float` — no quantization at all (pass-through, for the float reference).
 */
export type QuantMode = 'search' | 'fixed' | 'float';

export const QUANT_MODES: readonly QuantMode[] = ['search', 'fixed', 'float'];

export function checkMode(who: string, mode: string): asserts mode is QuantMode {
  if (!QUANT_MODES.includes(mode as QuantMode)) {
    throw new Error(`${who}: expected mode ${QUANT_MODES.map((m) => `'${m}'`).join(' | ')}, got '${mode}'`);
  }
}

/**
 * Names of the bit-width and clip parameters quantized layers register. None of them takes weight
 * decay (FRACBITS.md §1, §2): quantized layers declare only `weight` in `decayParameterNames`, so
 * `splitDecay` from @fracbits/nn leaves these in its no-decay group; {@link isNoDecayParameter}
 * states the same rule for other optimizer helpers.
 */
export const BIT_PARAMETER_NAMES = ['lambda_w', 'lambda_a', 'alpha'] as const;

/** Whether a dotted parameter name (e.g. 'layer1.0.conv1.lambda_w') is a bit-width or clip value. */
export function isNoDecayParameter(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return (BIT_PARAMETER_NAMES as readonly string[]).includes(last);
}

/** The initial λ for a budget of `targetBits`: off the integer, where the λ gradient vanishes. */
export function initialLambda(targetBits: number): number {
  return targetBits + 0.5;
}

/** clamp(v, bmin, bmax) on host numbers, as {@link clampBits} computes on tensors. */
export function clampValue(v: number, bmin: number, bmax: number): number {
  return Math.min(Math.max(v, bmin), bmax);
}

/** One bit-width vector: a λ parameter with its range, or a pinned constant. */
export class BitWidth {
  /** The stored λ (null when pinned): register it on a module to train it. */
  readonly lambda: Tensor | null;
  /** Pinned bits (e.g. 8), or null for a learnable bit-width. */
  readonly pinned: number | null;
  readonly range: readonly [number, number];
  private constants = new Map<Backend, Tensor>();

  private constructor(lambda: Tensor | null, pinned: number | null, range: readonly [number, number]) {
    this.lambda = lambda;
    this.pinned = pinned;
    this.range = range;
  }

  /** A learnable bit-width of `size` entries (1: layer-wise, C_out: kernel-wise) set to `init`. */
  static learnable(
    size: number,
    init: number,
    range: readonly [number, number],
    backend?: Backend,
  ): BitWidth {
    checkBitsRange('BitWidth', range[0], range[1]);
    if (!(Number.isInteger(size) && size > 0))
      throw new Error(`BitWidth: expected a positive size, got ${size}`);
    if (!Number.isFinite(init)) throw new Error(`BitWidth: expected a finite initial value, got ${init}`);
    return new BitWidth(tensor(new Float32Array(size).fill(init), [size], { backend }), null, [
      range[0],
      range[1],
    ]);
  }

  /** Bits fixed by the method (FRACBITS.md §2, first/last layers): never trained nor offset. */
  static pinnedAt(bits: number): BitWidth {
    checkBitsRange('BitWidth.pinnedAt', bits, bits);
    return new BitWidth(null, bits, [bits, bits]);
  }

  /** Entries: 1 (layer-wise or pinned) or the number of output channels. */
  get size(): number {
    return this.lambda?.size ?? 1;
  }

  /**
   * λ̂ for a forward pass: clamp(λ) with its gradient in `search` mode, the clamped stored values
   * without gradient in `fixed` mode, the pinned constant for pinned bit-widths.
   */
  forwardBits(mode: Exclude<QuantMode, 'float'>, backend: Backend): Tensor {
    if (this.lambda === null) return this.pinnedTensor(backend);
    const lambda = mode === 'search' ? this.lambda : this.lambda.detach();
    return clampBits(lambda, this.range[0], this.range[1]);
  }

  /** Host λ̂ from raw λ values (the one small readback of a step reads those). */
  clampValues(raw: ArrayLike<number>): number[] {
    if (this.pinned !== null) return [this.pinned];
    return Array.from(raw, (v) => clampValue(v, this.range[0], this.range[1]));
  }

  /** The clamped values λ̂ (reads the parameter back). */
  async read(): Promise<number[]> {
    return this.clampValues(this.lambda ? await this.lambda.data() : []);
  }

  /** {@link read} on backends with synchronous reads (CPU). */
  readSync(): number[] {
    return this.clampValues(this.lambda ? this.lambda.dataSync() : []);
  }

  /**
   * Validates integer bits for {@link setBits}: one value for all entries or one per entry, each
   * an integer inside the range (a pinned bit-width accepts only its value). Returns one per entry.
   */
  checkBits(bits: readonly number[], who = 'BitWidth.checkBits'): number[] {
    const values = bits.length === 1 ? new Array<number>(this.size).fill(bits[0]) : [...bits];
    if (values.length !== this.size)
      throw new Error(`${who}: expected 1 or ${this.size} bit-widths, got ${bits.length}`);
    const [bmin, bmax] = this.range;
    for (const b of values) {
      if (!(Number.isInteger(b) && b >= bmin && b <= bmax)) {
        throw new Error(`${who}: expected integer bit-widths in [${bmin}, ${bmax}], got ${b}`);
      }
    }
    return values;
  }

  /** Stores integer bits (after discretisation, or for uniform QAT); see {@link checkBits}. */
  setBits(bits: readonly number[], who = 'BitWidth.setBits'): void {
    const values = this.checkBits(bits, who);
    if (this.lambda === null) return;
    const next = tensor(Float32Array.from(values), this.lambda.shape, { backend: this.lambda.backend });
    this.lambda.assign(next);
    next.dispose();
  }

  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
  }

  private pinnedTensor(backend: Backend): Tensor {
    let t = this.constants.get(backend);
    if (!t) {
      t = keep(full([1], this.pinned ?? 0, { backend }));
      this.constants.set(backend, t);
    }
    return t;
  }
}
