import type { Shape, Tensor } from '@fracbits/tensor';
import { Module } from './module.js';

/** Applies its children in order; children are named '0', '1', … unless added with a name. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Appends a child under `name` (default: its index). */
  append(m: Module, name?: string): this {
    this.registerModule(name ?? String(this.length), m);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  /** The i-th child (negative counts from the end). */
  at(i: number): Module {
    const list = this.children();
    const entry = list[i < 0 ? list.length + i : i];
    if (!entry) throw new Error(`Sequential.at: index ${i} out of range for ${list.length} children`);
    return entry[1];
  }

  override outputShape(input: Shape): number[] {
    let s = [...input];
    for (const [, m] of this.children()) s = m.outputShape(s);
    return s;
  }

  forward(x: Tensor): Tensor {
    for (const [, m] of this.children()) x = m.call(x);
    return x;
  }
}
