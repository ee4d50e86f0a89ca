import type { Tensor } from '@fracbits/tensor';
import type { Module } from '../modules/module.js';

/**
 * Modules list the names of their own parameters that take weight decay here (Conv2d and Linear:
 * ['weight']). Wrappers (e.g. quantized layers) declare theirs the same way, so BatchNorm
 * affine parameters, biases, clip values and bit-widths stay undecayed by default.
 */
export interface DecaysWeights {
  readonly decayParameterNames: readonly string[];
}

function decayNames(m: Module): readonly string[] {
  const names = (m as Partial<DecaysWeights>).decayParameterNames;
  return Array.isArray(names) ? names : [];
}

export interface DecayGroups {
  readonly params: Tensor[];
  readonly weightDecay: number;
  readonly name: string;
}

/**
 * Two parameter groups for an optimizer: 'decay' (conv/linear weights) with `weightDecay`, and
 * 'no_decay' (everything else) with 0. Empty groups are left out.
 */
export function splitDecay(model: Module, weightDecay: number): DecayGroups[] {
  const decay = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    const names = decayNames(m);
    for (const [name, t] of m.ownParameters()) if (names.includes(name)) decay.add(t);
  }
  const all = model.parameters();
  const groups: DecayGroups[] = [
    { name: 'decay', params: all.filter((t) => decay.has(t)), weightDecay },
    { name: 'no_decay', params: all.filter((t) => !decay.has(t)), weightDecay: 0 },
  ];
  return groups.filter((g) => g.params.length > 0);
}
