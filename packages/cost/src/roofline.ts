/**
 * Roofline latency: per layer max(compute time, memory time) on a device profile.
 *   compute = 2·MACs / peakOps(bw, ba)   (per kernel with kernel-wise bits)
 *   memory  = (weight bits + input activation bits + output activation bits) / 8 / bandwidth
 * Seconds per op at fractional bits interpolate bilinearly between the integer neighbours; the
 * max takes the gradient of its active branch (compute on ties).
 */
import type { CostModel } from '@fracbits/plugin-api';
import { bilinear } from './interpolate.js';
import { type LayerCost, sumOverKernels } from './kernels.js';
import { buildCostModel } from './model.js';
import { type DeviceProfile, getProfile, parseDeviceProfile, peakTable, secondsPerOp } from './profiles.js';
import { TIME_PREFIXES, type UnitSystem } from './units.js';
import { checkOptionKeys } from './validate.js';

export const TIME_UNITS: UnitSystem = {
  what: 'time',
  bases: [{ names: ['s', 'sec'], factor: 1, caseSensitive: true }],
  prefixes: TIME_PREFIXES,
};

const FLOAT_BITS = 32;

export interface RooflineOptions {
  /** A built-in profile name ('bitfusion', 'mobile-npu', 'gpu-tensorcore') or a profile object. */
  readonly profile: string | DeviceProfile;
  /** Images per inference (default 1): scales compute and activation traffic, not weights. */
  readonly batch?: number;
  /** Reporting unit: 'ms' (default), 'us', 's'. */
  readonly unit?: string;
}

function product(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** The roofline latency cost model. */
export function rooflineModel(options: RooflineOptions): CostModel {
  checkOptionKeys('roofline', options, ['profile', 'batch', 'unit']);
  if (options?.profile === undefined) {
    throw new Error(`roofline: options.profile is required (a built-in name or a DeviceProfile object)`);
  }
  const profile =
    typeof options.profile === 'string'
      ? getProfile(options.profile)
      : parseDeviceProfile(options.profile, 'option');
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`roofline: expected batch to be a positive integer, got ${batch}`);
  const table = peakTable(profile);
  const opTime = (w: number, a: number) => secondsPerOp(table, w, a);
  const bytesPerSecond = profile.bandwidthGBps * 1e9;
  const outputBits = profile.outputBits ?? 8;

  return buildCostModel({
    name: 'roofline',
    description: `roofline latency max(compute, memory) on device profile "${profile.name}", batch ${batch}`,
    units: TIME_UNITS,
    unit: options.unit ?? 'ms',
    layerCost: (layer, bits): LayerCost => {
      const compute = sumOverKernels(bits, (2 * batch * layer.macs) / layer.outChannels, (w, a) =>
        bilinear(w, a, opTime),
      );
      const weights = sumOverKernels(bits, layer.params / layer.outChannels / 8 / bytesPerSecond, (w) => ({
        value: w,
        dw: 1,
        da: 0,
      }));
      const inputElements = batch * product(layer.inputShape);
      const fixedBits =
        (layer.hasBias ? FLOAT_BITS * layer.outChannels : 0) +
        batch * product(layer.outputShape) * outputBits;
      const memory = {
        value: weights.value + (inputElements * bits.a + fixedBits) / 8 / bytesPerSecond,
        dw: weights.dw,
        da: inputElements / 8 / bytesPerSecond,
      };
      return compute.value >= memory.value ? compute : memory;
    },
  });
}
