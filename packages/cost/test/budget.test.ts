import { defineCostModel } from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  bitopsModel,
  parseBudget,
  resolveTarget,
  rooflineModel,
  sizeModel,
  uniformBits,
} from '../src/index.js';
import { lenet5, resnet18 } from './fixtures.js';

describe('parseBudget', () => {
  it('parses uniform and absolute budgets, spelling built-in units canonically', () => {
    expect(parseBudget('bitops=uniform:3')).toEqual({
      model: 'bitops',
      target: { kind: 'uniform', bits: 3 },
    });
    expect(parseBudget(' bitops = 5.7G ')).toEqual({
      model: 'bitops',
      target: { kind: 'absolute', value: 5.7, unit: 'GBitOps' },
    });
    expect(parseBudget('bitops=500MBOPs').target).toEqual({ kind: 'absolute', value: 500, unit: 'MBitOps' });
    expect(parseBudget('size=1.8MB')).toEqual({
      model: 'size',
      target: { kind: 'absolute', value: 1.8, unit: 'MB' },
    });
    expect(parseBudget('size=300kbit').target).toEqual({ kind: 'absolute', value: 300, unit: 'kbit' });
    expect(parseBudget('latency=2ms')).toEqual({
      model: 'latency',
      target: { kind: 'absolute', value: 2, unit: 'ms' },
    });
    expect(parseBudget('bitserial=1.5e3').target).toEqual({ kind: 'absolute', value: 1500, unit: '' });
    expect(parseBudget('acme-energy=3mJ')).toEqual({
      model: 'acme-energy',
      target: { kind: 'absolute', value: 3, unit: 'mJ' },
    });
  });

  it('explains what is wrong', () => {
    expect(() => parseBudget('bitops')).toThrow(
      /parseBudget: expected '<model>=<value>' such as 'bitops=uniform:3'/,
    );
    expect(() => parseBudget('=3')).toThrow(/expected '<model>=<value>'/);
    expect(() => parseBudget('bitops=uniform:x')).toThrow(
      /parseBudget: expected a positive number of bits after 'uniform:', got 'x' in 'bitops=uniform:x'/,
    );
    expect(() => parseBudget('bitops=uniform:0')).toThrow(/positive number of bits/);
    expect(() => parseBudget('size=5ms')).toThrow(
      /parseBudget: 'size' budgets are model size .* got unit 'ms' in 'size=5ms'/,
    );
    expect(() => parseBudget('latency=2MB')).toThrow(/'latency' budgets are time/);
    expect(() => parseBudget('bitops=-3G')).toThrow(/expected a positive budget, got -3/);
    expect(() => parseBudget('bitops=lots')).toThrow(
      /expected a number with an optional unit such as '5.7G', got 'lots'/,
    );
  });
});

describe('resolveTarget', () => {
  it('uniform: the cost with every non-pinned layer at Wb/Ab', () => {
    const layers = resnet18();
    expect(resolveTarget(bitopsModel(), layers, parseBudget('bitops=uniform:4').target)).toBeCloseTo(
      34.6980352,
      9,
    );
    // LeNet-5 uniform 2-bit: conv1 pinned W8A8 is 86 % of it (FRACBITS.md §7).
    const lenet = lenet5();
    const t = resolveTarget(bitopsModel({ unit: 'BitOps' }), lenet, { kind: 'uniform', bits: 2 });
    expect(t).toBe(7526400 + 4 * (240000 + 48000 + 10080) + 840 * 8 * 2);
    expect(7526400 / t).toBeCloseTo(0.86, 2);
    expect(uniformBits(lenet, 3)).toEqual(lenet.map(() => ({ w: [3], a: 3 })));
  });

  it('absolute: converts to the model unit', () => {
    const layers = lenet5();
    expect(
      resolveTarget(bitopsModel({ unit: 'MBitOps' }), layers, parseBudget('bitops=5.7G').target),
    ).toBeCloseTo(5700, 9);
    expect(resolveTarget(bitopsModel(), layers, parseBudget('bitops=5.7').target)).toBe(5.7);
    expect(resolveTarget(sizeModel({ unit: 'kB' }), layers, parseBudget('size=1.8MB').target)).toBeCloseTo(
      1800,
      9,
    );
    expect(resolveTarget(sizeModel(), layers, parseBudget('size=2MiB').target)).toBeCloseTo(2.097152, 12);
    const roofline = rooflineModel({ profile: 'mobile-npu', unit: 'us' });
    expect(resolveTarget(roofline, layers, parseBudget('latency=2ms').target)).toBeCloseTo(2000, 9);
    expect(resolveTarget(roofline, layers, 12)).toBe(12);
  });

  it('third-party models without parseBudget need budgets in their unit', () => {
    const energy = defineCostModel({
      specificationVersion: 'v1',
      name: 'acme-energy',
      description: 'toy',
      unit: 'mJ',
      evaluate: (layers) => ({ total: 0, perLayer: layers.map(() => 0), grad: { w: [], a: [] } }),
    });
    expect(resolveTarget(energy, [], parseBudget('acme-energy=3mJ').target)).toBe(3);
    expect(() => resolveTarget(energy, [], parseBudget('acme-energy=3J').target)).toThrow(
      /resolveTarget: cost model 'acme-energy' reports mJ and cannot convert '3J'; give the budget in mJ/,
    );
  });
});
