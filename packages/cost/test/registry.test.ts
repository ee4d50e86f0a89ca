import { checkSpecificationVersion } from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import { costPlugin, createCostModel, listCostModels } from '../src/index.js';
import { lenet5 } from './fixtures.js';

describe('registry', () => {
  it('lists and creates the built-ins', () => {
    expect(listCostModels().map((m) => [m.name, m.aliases])).toEqual([
      ['bitops', []],
      ['size', []],
      ['bitserial', []],
      ['roofline', []],
      ['latency', []],
    ]);
    expect(createCostModel('bitops').unit).toBe('GBitOps');
    expect(createCostModel('size', { unit: 'kB' }).unit).toBe('kB');
    expect(createCostModel('bitserial', { brick: 4 }).description).toMatch(/⌈bw\/4⌉/);
    // 'latency' without a table is the roofline model (with a table: latency-table.test.ts).
    const latency = createCostModel('latency', { profile: 'bitfusion', batch: 2 });
    expect(latency.name).toBe('roofline');
    const bits = lenet5().map(() => ({ w: [4], a: 4 }));
    expect(latency.evaluate(lenet5(), bits).total).toBeGreaterThan(0);
  });

  it('explains unknown models and options', () => {
    expect(() => createCostModel('energy')).toThrow(
      /createCostModel: unknown cost model 'energy' \(built-in: bitops, size, bitserial, roofline, latency\)/,
    );
    expect(() => createCostModel('bitops', { unti: 'MBitOps' })).toThrow(
      /bitops: unknown option 'unti' \(known: unit\)/,
    );
    expect(() => createCostModel('roofline', { profile: 'bitfusion', batch: 0 })).toThrow(
      /roofline: expected batch to be a positive integer, got 0/,
    );
  });

  it('ships as a v1 plugin', () => {
    expect(checkSpecificationVersion(costPlugin)).toBe(costPlugin);
    for (const factory of costPlugin.costModels) {
      const options = ['roofline', 'latency'].includes(factory.name) ? { profile: 'mobile-npu' } : undefined;
      expect(checkSpecificationVersion(factory.create(options)).specificationVersion).toBe('v1');
    }
  });
});
