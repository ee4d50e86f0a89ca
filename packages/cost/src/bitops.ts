/**
 * BitOps (FRACBITS.md §3): Σ_l MACs_l · λ̂w_l · λ̂a_l; kernel-wise MACs_l/C_out · Σ_o λ̂w[o] · λ̂a_l.
 * Bilinear in the bit-widths, so the gradient is exact and cheap.
 */
import type { CostModel } from '@fracbits/plugin-api';
import { sumOverKernels } from './kernels.js';
import { buildCostModel } from './model.js';
import { COUNT_PREFIXES, type UnitSystem } from './units.js';
import { checkOptionKeys } from './validate.js';

export const BITOPS_UNITS: UnitSystem = {
  what: 'BitOps',
  bases: [{ names: ['BitOps', 'BitOp', 'BOPs', 'BOP'], factor: 1 }],
  prefixes: COUNT_PREFIXES,
};

export interface BitOpsOptions {
  /** Reporting unit: 'BitOps', 'MBitOps', 'GBitOps' (default) ... */
  readonly unit?: string;
}

/** The BitOps cost model. */
export function bitopsModel(options: BitOpsOptions = {}): CostModel {
  checkOptionKeys('bitops', options, ['unit']);
  return buildCostModel({
    name: 'bitops',
    description: 'Σ MACs·bw·ba over conv/linear layers (FracBits BitOps)',
    units: BITOPS_UNITS,
    unit: options.unit ?? 'GBitOps',
    layerCost: (layer, bits) =>
      sumOverKernels(bits, layer.macs / layer.outChannels, (w, a) => ({ value: w * a, dw: a, da: w })),
  });
}
