/**
 * Model size (FRACBITS.md §3): Σ_l params_per_kernel_l · Σ_o λ̂w[o] bits plus 32 bits per bias
 * value; activations do not count. Also the byte estimate of a packed low-bit file.
 */
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';
import { addCosts, effectiveBits, sumOverKernels } from './kernels.js';
import { buildCostModel } from './model.js';
import { BYTE_PREFIXES, type UnitSystem } from './units.js';
import { checkInputs, checkOptionKeys } from './validate.js';

/** Bits per float32 value (biases, scales). */
const FLOAT_BITS = 32;

export const SIZE_UNITS: UnitSystem = {
  what: 'model size',
  bases: [
    { names: ['B', 'byte', 'bytes'], factor: 8, caseSensitive: true },
    { names: ['bit', 'bits'], factor: 1 },
  ],
  prefixes: BYTE_PREFIXES,
};

export interface SizeOptions {
  /** Reporting unit: 'MB' (default, 8e6 bits), 'kB', 'B', 'Mbit', 'MiB' ... */
  readonly unit?: string;
}

/** The weight-size cost model. */
export function sizeModel(options: SizeOptions = {}): CostModel {
  checkOptionKeys('size', options, ['unit']);
  return buildCostModel({
    name: 'size',
    description: 'Σ params·bw weight bits + 32 bits per bias (model size)',
    units: SIZE_UNITS,
    unit: options.unit ?? 'MB',
    layerCost: (layer, bits) => {
      const weights = sumOverKernels(bits, layer.params / layer.outChannels, (w) => ({
        value: w,
        dw: 1,
        da: 0,
      }));
      const bias = layer.hasBias ? FLOAT_BITS * layer.outChannels : 0;
      return addCosts(weights, { value: bias, dw: bits.w.map(() => 0), da: 0 });
    },
  });
}

/**
 * Estimated bytes of a packed low-bit file: per layer, its weights packed contiguously at their
 * integer bit-widths (rounded up to whole bytes), one float32 scale per output channel
 * (kernel-wise) or per layer (layer-wise), and float32 biases. Kernel-wise 0-bit channels count as
 * pruned: no weights, scale or bias. Per-layer activation parameters (PACT α) are not counted.
 */
export function packedSizeBytes(layers: readonly LayerInfo[], bits: readonly BitAssignment[]): number {
  const who = 'packedSizeBytes';
  checkInputs(who, layers, bits);
  let bytes = 0;
  layers.forEach((layer, i) => {
    const eff = effectiveBits(layer, bits[i]);
    eff.w.forEach((b, o) => {
      if (!Number.isInteger(b)) {
        throw new Error(
          `${who}: layer ${i} ('${layer.name}'): packed files hold integer bit-widths, got w[${o}] = ${b}`,
        );
      }
    });
    const perKernel = layer.params / layer.outChannels;
    const weightBits = eff.w.reduce((s, b) => s + perKernel * b * eff.multiplicity, 0);
    const kernelwise = eff.multiplicity === 1;
    const kept = kernelwise ? eff.w.filter((b) => b > 0).length : layer.outChannels;
    const scales = kernelwise ? kept : 1;
    const biases = layer.hasBias ? kept : 0;
    bytes += Math.ceil(weightBits / 8) + ((scales + biases) * FLOAT_BITS) / 8;
  });
  return bytes;
}
