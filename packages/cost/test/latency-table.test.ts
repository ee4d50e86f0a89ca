import type { LayerInfo } from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  convLayer,
  costPlugin,
  createCostModel,
  type LatencyTable,
  type LatencyTableEntry,
  latencyLayerKey,
  latencyTableModel,
  linearLayer,
  parseBudget,
  resolveTarget,
} from '../src/index.js';
import { lenet5 } from './fixtures.js';
import { expectGradientsMatch } from './helpers.js';

const conv = convLayer({ name: 'conv', inChannels: 3, outChannels: 4, kernel: 3, padding: 1, inputSize: 7 });
const fc = linearLayer({ name: 'fc', inFeatures: 12, outFeatures: 5 });
const first = { ...conv, name: 'first', pinned: { w: 8, a: 8 } };

/** A made-up, non-linear time in ms, different per layer shape. */
function ms(key: string, w: number, a: number | null): number {
  const k = key.length / 10;
  return a === null ? 0.05 * k + 0.002 * w * w : 0.1 * k + 0.01 * w * a + 0.003 * w * w + 0.001 * a;
}

function tableFor(
  layers: readonly LayerInfo[],
  wBits: readonly number[],
  aBits: readonly (number | null)[],
  batch = 1,
): LatencyTable {
  const entries: LatencyTableEntry[] = [];
  for (const layer of new Set(layers.map((l) => latencyLayerKey(l)))) {
    for (const w of wBits)
      for (const a of aBits) entries.push({ layer, wBits: w, aBits: a, batch, ms: ms(layer, w, a) });
  }
  // What profileLayers writes besides the entries.
  return {
    format: 'fracbits-latency-table',
    version: 1,
    adapter: 'test adapter',
    entries,
    ...{ variant: 'dot4', timing: 'timestamp', date: '2025-01-01T00:00:00.000Z' },
  };
}

const BITS = [1, 2, 3, 4, 5, 6, 7, 8];
const table = tableFor([conv, fc], BITS, [null, ...BITS]);
const model = latencyTableModel({ table });

describe('latency table model', () => {
  it('keys layers by shape', () => {
    expect(latencyLayerKey(conv)).toBe('conv 3x7x7->4x7x7 k3x3 s1x1 g1');
    expect(latencyLayerKey(fc)).toBe('linear 12->5');
    const renamed: LayerInfo = { ...conv, name: 'other' };
    expect(latencyLayerKey(renamed)).toBe(latencyLayerKey(conv));
  });

  it('is the measured time at integer bits (ms by default), summed over layers', () => {
    expect(model.name).toBe('latency');
    expect(model.unit).toBe('ms');
    const r = model.evaluate(
      [conv, fc],
      [
        { w: [3], a: 5 },
        { w: [8], a: 2 },
      ],
    );
    expect(r.perLayer[0]).toBeCloseTo(ms(latencyLayerKey(conv), 3, 5), 12);
    expect(r.perLayer[1]).toBeCloseTo(ms(latencyLayerKey(fc), 8, 2), 12);
    expect(r.total).toBeCloseTo(r.perLayer[0] + r.perLayer[1], 12);
    const us = latencyTableModel({ table, unit: 'us' }).evaluate([fc], [{ w: [8], a: 2 }]).total;
    expect(us).toBeCloseTo(1000 * ms(latencyLayerKey(fc), 8, 2), 9);
  });

  it('interpolates linearly between measured bits; the gradient is the neighbouring difference', () => {
    const key = latencyLayerKey(fc);
    const r = model.evaluate([fc], [{ w: [2.25], a: 5 }]);
    // a = 5 exactly uses the segment [4, 5] at its end: the value is the a = 5 measurement.
    const at = (w: number, a: number) => ms(key, w, a);
    expect(r.total).toBeCloseTo(0.75 * at(2, 5) + 0.25 * at(3, 5), 12);
    expect(r.grad.w[0][0]).toBeCloseTo(at(3, 5) - at(2, 5), 12);
    expect(r.grad.a[0]).toBeCloseTo(0.75 * (at(2, 5) - at(2, 4)) + 0.25 * (at(3, 5) - at(3, 4)), 12);
  });

  it('with bits measured on a coarser grid, interpolates between the measured ones', () => {
    const sparse = latencyTableModel({ table: tableFor([fc], [2, 4, 8], [2, 4, 8]) });
    const key = latencyLayerKey(fc);
    const r = sparse.evaluate([fc], [{ w: [6], a: 3 }]);
    const lerp = (w: number) => 0.5 * ms(key, w, 2) + 0.5 * ms(key, w, 4);
    expect(r.total).toBeCloseTo(0.5 * lerp(4) + 0.5 * lerp(8), 12);
    expect(r.grad.w[0][0]).toBeCloseTo((lerp(8) - lerp(4)) / 4, 12);
  });

  it('kernel-wise bits cost the mean of the per-channel times', () => {
    const key = latencyLayerKey(conv);
    const r = model.evaluate([conv], [{ w: [1, 2, 8, 8], a: 3 }]);
    const mean = (ms(key, 1, 3) + ms(key, 2, 3) + 2 * ms(key, 8, 3)) / 4;
    expect(r.total).toBeCloseTo(mean, 12);
    expect(model.evaluate([conv], [{ w: [5, 5, 5, 5], a: 3 }]).total).toBeCloseTo(
      model.evaluate([conv], [{ w: [5], a: 3 }]).total,
      12,
    );
  });

  it('a pinned (unquantized) input uses the float-input entries, with no activation gradient', () => {
    const key = latencyLayerKey(first);
    const r = model.evaluate([first], [{ w: [8], a: 8 }]);
    expect(r.total).toBeCloseTo(ms(key, 8, null), 12);
    expect(r.grad.a).toEqual([0]);
    // Without float entries, the pinned bits are looked up like any others.
    const quantizedOnly = latencyTableModel({ table: tableFor([conv], BITS, BITS) });
    expect(quantizedOnly.evaluate([first], [{ w: [8], a: 8 }]).total).toBeCloseTo(ms(key, 8, 8), 12);
  });

  it('gradients match finite differences away from measured bits', () => {
    const free = { ...first, pinned: undefined, name: 'free' };
    expectGradientsMatch(
      model,
      [conv, fc, free],
      [
        { w: [2.4, 3.7, 1.2, 7.5], a: 5.3 },
        { w: [6.6], a: 2.2 },
        { w: [4.1], a: 7.9 },
      ],
    );
  });

  it("parses 'latency=2ms' budgets and resolves uniform ones", () => {
    const layers = [conv, fc];
    expect(resolveTarget(model, layers, parseBudget('latency=2ms').target)).toBe(2);
    expect(resolveTarget(model, layers, parseBudget('latency=150us').target)).toBeCloseTo(0.15, 12);
    const uniform = resolveTarget(model, layers, parseBudget('latency=uniform:4').target);
    expect(uniform).toBeCloseTo(ms(latencyLayerKey(conv), 4, 4) + ms(latencyLayerKey(fc), 4, 4), 12);
  });

  it("is the registry's 'latency' when a table is given (the roofline model otherwise)", () => {
    const created = createCostModel('latency', { table, unit: 'us' });
    expect(created.name).toBe('latency');
    expect(created.unit).toBe('us');
    expect(created.description).toMatch(
      /measured layer latency \(table from test adapter, batch 1, 2 layer shapes\)/,
    );
    expect(createCostModel('latency', { profile: 'bitfusion' }).name).toBe('roofline');
    expect(costPlugin.costModels.find((f) => f.name === 'latency')!.create({ table }).name).toBe('latency');
  });

  it('picks the batch: the only one, or the one asked for', () => {
    const two: LatencyTable = {
      entries: [...tableFor([fc], BITS, BITS, 1).entries, ...tableFor([fc], BITS, BITS, 8).entries],
    };
    expect(() => latencyTableModel({ table: two })).toThrow(
      /latency: the table has batches 1, 8; choose one with option batch/,
    );
    expect(() => latencyTableModel({ table: two, batch: 4 })).toThrow(
      /latency: the table has no entries at batch 4 \(it has 1, 8\)/,
    );
    expect(latencyTableModel({ table: two, batch: 8 }).evaluate([fc], [{ w: [3], a: 3 }]).total).toBeCloseTo(
      ms(latencyLayerKey(fc), 3, 3),
      12,
    );
  });

  it('names the layer, its shape and the bits the table lacks', () => {
    const lenet = lenet5();
    expect(() => model.evaluate([lenet[1]], [{ w: [3], a: 3 }])).toThrow(
      /latency: the table has no entry for layer 'conv2' \(conv 6x14x14->16x10x10 k5x5 s1x1 g1\); profile the model with fracbits profile/,
    );
    const narrow = latencyTableModel({ table: tableFor([fc], [2, 3, 4], [2, 3, 4]) });
    expect(() => narrow.evaluate([fc], [{ w: [1.5], a: 3 }])).toThrow(
      /latency: layer 'fc' \(linear 12->5\): weight bits: 1.5 bits is outside the measured 2..4/,
    );
    const holes = tableFor([fc], [2, 3], [2, 3]);
    const missing = latencyTableModel({ table: { entries: holes.entries.slice(1) } });
    expect(() => missing.evaluate([fc], [{ w: [2.5], a: 2.5 }])).toThrow(
      /latency: layer 'fc' \(linear 12->5\): the table has no entry at W2A2 \(batch 1\)/,
    );
  });

  it('rejects malformed tables and options with the field at fault', () => {
    const entry = { layer: 'linear 12->5', wBits: 2, aBits: 2, batch: 1, ms: 0.1 };
    expect(() => latencyTableModel({ table: { entries: [] } })).toThrow(
      /latency: table.entries: expected a non-empty list, got \[\]/,
    );
    expect(() => latencyTableModel({ table: { entries: [{ ...entry, wBits: 2.5 }] } })).toThrow(
      /latency: table.entries\[0\].wBits: expected an integer ≥ 0, got 2.5/,
    );
    expect(() => latencyTableModel({ table: { entries: [{ ...entry, ms: -1 }] } })).toThrow(
      /latency: table.entries\[0\].ms: expected a time ≥ 0 in ms, got -1/,
    );
    expect(() => latencyTableModel({ table: { entries: [entry, entry] } })).toThrow(
      /latency: table.entries\[1\]: a second entry for layer 'linear 12->5' at W2A2, batch 1/,
    );
    expect(() =>
      latencyTableModel({ table: { format: 'other', entries: [entry] } as unknown as LatencyTable }),
    ).toThrow(/latency: table.format: expected 'fracbits-latency-table', got "other"/);
    expect(() => latencyTableModel({ table, unti: 'ms' } as never)).toThrow(
      /latency: unknown option 'unti' \(known: table, batch, unit\)/,
    );
    expect(() => latencyTableModel({} as never)).toThrow(/latency: options.table is required/);
  });
});
