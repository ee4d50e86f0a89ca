/**
 * Builds a plugin-api CostModel from a per-layer cost in computation units: validates inputs,
 * applies pinned bit-widths (zero gradient), converts to the chosen unit and sums.
 */
import type { BitAssignment, CostEvaluation, CostModel, LayerInfo } from '@fracbits/plugin-api';
import { type EffectiveBits, effectiveBits, type LayerCost } from './kernels.js';
import { parseInUnit, resolveUnit, type UnitSystem } from './units.js';
import { checkInputs } from './validate.js';

export interface CostModelSpec {
  readonly name: string;
  readonly description: string;
  readonly units: UnitSystem;
  /** The unit results are reported in, a spelling `units` understands (e.g. 'GBitOps'). */
  readonly unit: string;
  /** Cost of one layer in computation units, with its gradient w.r.t. the effective bits. */
  layerCost(layer: LayerInfo, bits: EffectiveBits): LayerCost;
}

export function buildCostModel(spec: CostModelSpec): CostModel {
  const factor = resolveUnit(spec.units, spec.unit, spec.name).factor;
  const who = `${spec.name}.evaluate`;
  return {
    specificationVersion: 'v1',
    name: spec.name,
    description: spec.description,
    unit: spec.unit,
    evaluate(layers: readonly LayerInfo[], bits: readonly BitAssignment[]): CostEvaluation {
      checkInputs(who, layers, bits);
      const perLayer: number[] = [];
      const w: number[][] = [];
      const a: number[] = [];
      let total = 0;
      layers.forEach((layer, i) => {
        const eff = effectiveBits(layer, bits[i]);
        const cost = spec.layerCost(layer, eff);
        perLayer.push(cost.value / factor);
        total += cost.value / factor;
        w.push(eff.wPinned ? cost.dw.map(() => 0) : cost.dw.map((d) => d / factor));
        a.push(eff.aPinned ? 0 : cost.da / factor);
      });
      return { total, perLayer, grad: { w, a } };
    },
    parseBudget(text: string): number {
      return parseInUnit(text, spec.units, spec.unit, `${spec.name}.parseBudget`);
    },
  };
}
