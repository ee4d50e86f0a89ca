/**
 * A seeded random generator whose streams are identical on every platform: xoshiro128** on 32-bit
 * integer arithmetic, seeded through splitmix32, and normals by the polar method with a logarithm
 * built from basic IEEE operations only (Math.log may differ between engines in the last bit).
 */

const LN2 = Math.LN2;

/** Natural log from +, −, ×, ÷ only, so that every engine returns the same bits. x > 0. */
export function deterministicLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x === 0 ? -Infinity : Number.NaN;
  let e = 0;
  while (x >= 1) {
    x *= 0.5;
    e++;
  }
  while (x < 0.5) {
    x *= 2;
    e--;
  }
  // x in [0.5, 1): log x = 2·atanh(t), t = (x − 1)/(x + 1) ∈ (−1/3, 0]
  const t = (x - 1) / (x + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= t2;
    if (Math.abs(term) < 1e-18) break;
  }
  return 2 * sum + e * LN2;
}

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spare: number | null;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    let state = (Math.floor(seed) ^ Math.floor(seed / 0x100000000)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, value] = splitmix32(state);
      state = next;
      words.push(value);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits, so every value is exact in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor((this.nextUint32() / 4294967296) * n);
  }

  /** Standard normal (polar method). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * ((this.nextUint32() + 0.5) / 4294967296) - 1;
      const v = 2 * ((this.nextUint32() + 0.5) / 4294967296) - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const m = Math.sqrt((-2 * deterministicLog(s)) / s);
      this.spare = v * m;
      return u * m;
    }
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float32Array): typeof items {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** A new generator derived from this one (for independent sub-streams). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(state: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = state.s;
    this.spare = state.spare;
  }
}

/**
 * A seeded stream of uniforms in [0, 1) as a plain function: the shape test-data generators and
 * demos want (`const random = uniformStream(7); random()`), from the same portable generator.
 */
export function uniformStream(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.uniform();
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fills an array with values drawn from `draw`. */
export function fill(size: number, draw: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = draw();
  return out;
}

/** fan_in and fan_out of a weight shaped [out, in, ...kernel] (conv) or [out, in] (linear). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: need a weight of rank ≥ 2, got rank ${shape.length}`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Kaiming (He) normal: N(0, gain²/fan_in), gain √2 for ReLU. */
export function kaimingNormal(rng: Rng, shape: readonly number[], gain = Math.SQRT2): Float32Array {
  const std = gain / Math.sqrt(fans(shape).fanIn);
  return fill(
    shape.reduce((a, b) => a * b, 1),
    () => rng.normal() * std,
  );
}

/** Kaiming uniform as PyTorch's default for conv/linear weights (a = √5): U(±1/√fan_in). */
export function kaimingUniform(rng: Rng, shape: readonly number[], a = Math.sqrt(5)): Float32Array {
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fans(shape).fanIn);
  return fill(
    shape.reduce((x, y) => x * y, 1),
    () => rng.uniformRange(-bound, bound),
  );
}

/** Xavier (Glorot) uniform: U(±gain·√(6/(fan_in+fan_out))). */
export function xavierUniform(rng: Rng, shape: readonly number[], gain = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return fill(
    shape.reduce((x, y) => x * y, 1),
    () => rng.uniformRange(-bound, bound),
  );
}

/** Xavier (Glorot) normal: N(0, gain²·2/(fan_in+fan_out)). */
export function xavierNormal(rng: Rng, shape: readonly number[], gain = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return fill(
    shape.reduce((x, y) => x * y, 1),
    () => rng.normal() * std,
  );
}
