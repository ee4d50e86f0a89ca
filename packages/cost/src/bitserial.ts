/**
 * Bit-serial cost, BitFusion-style: a b_w × b_a multiply is built from p×p-bit "bricks", so a
 * layer costs MACs · ⌈b_w/p⌉ · ⌈b_a/p⌉ brick operations. Made smooth for fractional bits by
 * bilinear interpolation between the integer-bit costs (see interpolate.ts).
 */
import type { CostModel } from '@fracbits/plugin-api';
import { bilinear } from './interpolate.js';
import { sumOverKernels } from './kernels.js';
import { buildCostModel } from './model.js';
import { COUNT_PREFIXES, type UnitSystem } from './units.js';
import { checkOptionKeys } from './validate.js';

export const BITSERIAL_UNITS: UnitSystem = {
  what: 'brick-op',
  bases: [{ names: ['BrickOps', 'BrickOp'], factor: 1 }],
  prefixes: COUNT_PREFIXES,
};

export interface BitSerialOptions {
  /** Brick precision p in bits (default 2, as in BitFusion). */
  readonly brick?: number;
  /** Reporting unit: 'GBrickOps' (default), 'MBrickOps', 'BrickOps' ... */
  readonly unit?: string;
}

/** The bit-serial (brick-op) cost model. */
export function bitserialModel(options: BitSerialOptions = {}): CostModel {
  checkOptionKeys('bitserial', options, ['brick', 'unit']);
  const p = options.brick ?? 2;
  if (!Number.isInteger(p) || p < 1)
    throw new Error(`bitserial: expected brick to be a positive integer, got ${p}`);
  const bricks = (w: number, a: number) => Math.ceil(w / p) * Math.ceil(a / p);
  return buildCostModel({
    name: 'bitserial',
    description: `Σ MACs·⌈bw/${p}⌉·⌈ba/${p}⌉ bit-serial brick operations (BitFusion-style), interpolated between integer bits`,
    units: BITSERIAL_UNITS,
    unit: options.unit ?? 'GBrickOps',
    layerCost: (layer, bits) =>
      sumOverKernels(bits, layer.macs / layer.outChannels, (w, a) => bilinear(w, a, bricks)),
  });
}
