import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBudgetSpec, parseBudgetSpec } from '../src/budget-spec.js';
import { createRegistry } from '../src/index.js';

describe('budget specs', () => {
  it('parses @table=<file> into the cost model options and writes it back', () => {
    const spec = parseBudgetSpec('latency=2ms@kappa=0.5@table=lenet5.json');
    expect(spec).toEqual({ cost: 'latency', target: '2ms', kappa: 0.5, options: { table: 'lenet5.json' } });
    expect(formatBudgetSpec(spec)).toBe('latency=2ms@kappa=0.5@table=lenet5.json');
  });

  it('reads a table file for the latency cost model, with a clear error when it is missing', () => {
    const registry = createRegistry();
    expect(() => registry.costModel('latency', { table: '/nonexistent/table.json' })).toThrow(
      /cannot read the latency table \/nonexistent\/table.json/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'fracbits-table-'));
    const file = join(dir, 'table.json');
    const layer = 'linear 4->2';
    const entries = [1, 2].flatMap((w) =>
      [1, 2].map((a) => ({ layer, wBits: w, aBits: a, batch: 1, ms: w + a })),
    );
    writeFileSync(file, JSON.stringify({ format: 'fracbits-latency-table', entries }));
    const model = registry.costModel('latency', { table: file });
    const info = {
      name: 'fc',
      kind: 'linear' as const,
      inChannels: 4,
      outChannels: 2,
      kernel: [1, 1] as const,
      stride: [1, 1] as const,
      groups: 1,
      inputShape: [4],
      outputShape: [2],
      macs: 8,
      params: 8,
      hasBias: false,
    };
    // W1.5 A2: halfway between the measured 3 ms (W1A2) and 4 ms (W2A2).
    expect(model.evaluate([info], [{ w: [1.5], a: 2 }]).total).toBeCloseTo(3.5, 6);
  });
});
