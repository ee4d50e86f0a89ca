/**
 * @fracbits/cost — hardware cost models (BitOps, size, bit-serial, roofline) that are
 * differentiable in fractional bit-widths, implementing the @fracbits/plugin-api CostModel.
 */
export { BITOPS_UNITS, type BitOpsOptions, bitopsModel } from './bitops.js';
export { BITSERIAL_UNITS, type BitSerialOptions, bitserialModel } from './bitserial.js';
export { type Budget, type BudgetTarget, parseBudget, resolveTarget, uniformBits } from './budget.js';
export { type ConvLayerSpec, convLayer, type LinearLayerSpec, linearLayer } from './layer-info.js';
export {
  type LatencyTable,
  type LatencyTableEntry,
  type LatencyTableOptions,
  latencyLayerKey,
  latencyTableModel,
  parseLatencyTable,
} from './models/latency-table.js';
export { type Constraint, type ConstraintValue, type PenaltyResult, penalty } from './penalty.js';
export { type DeviceProfile, getProfile, listProfiles, parseDeviceProfile } from './profiles.js';
export {
  COST_MODEL_ALIASES,
  type CostModelListing,
  costModelFactories,
  createCostModel,
  findCostModel,
  listCostModels,
} from './registry.js';
export { type RooflineOptions, rooflineModel, TIME_UNITS } from './roofline.js';
export { packedSizeBytes, SIZE_UNITS, type SizeOptions, sizeModel } from './size.js';
export { matchUnit, parseQuantity, type UnitSystem } from './units.js';

import { definePlugin } from '@fracbits/plugin-api';
import { costModelFactories } from './registry.js';

/** The built-in cost models as a plugin bundle, for hosts that load everything as plugins. */
export const costPlugin = definePlugin({
  specificationVersion: 'v1',
  name: '@fracbits/cost',
  description: 'Built-in cost models: bitops, size, bitserial, roofline, latency',
  costModels: costModelFactories,
});
