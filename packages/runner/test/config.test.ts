import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineConfig,
  formatBudgetSpec,
  mergeConfig,
  parseBudgetSpec,
  resolveConfig,
} from '../src/index.js';
import { loadConfigFile, nodeStripsTypes } from '../src/node.js';
import { tempDir } from './helpers.js';

function issues(input: unknown) {
  try {
    resolveConfig(input, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('fills the defaults of the main job', () => {
    const c = resolveConfig({});
    expect(c).toMatchObject({
      model: 'lenet5',
      data: { name: 'fashion-mnist', trainSubset: 15000, subsetSeed: 0 },
      method: 'fracbits',
      budgets: [{ cost: 'bitops', target: 'uniform:3' }],
      kappa: 1,
      granularity: 'layer',
      bitsRange: [1, 8],
      searchFraction: 0.8,
      lr: 0.01,
      pretrain: { lr: 0.05 },
      batchSize: 128,
      optimizer: { momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      backend: 'auto',
      exports: ['onnx', 'packed'],
    });
  });

  it('lists every problem with its path, what was expected and what was got', () => {
    const list = issues({
      model: 3,
      epochs: 0,
      bitsRange: [5, 2],
      granularity: 'channel',
      budgets: ['bitops=uniform:x', { cost: 'size', target: '1MB', kappa: -1 }],
      pretrain: { epochs: 'ten' },
      data: { trainSubset: 1.5 },
      colour: 'blue',
    });
    const byPath = Object.fromEntries(list.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        '(root)',
        'bitsRange',
        'budgets.0',
        'budgets.1.kappa',
        'data.trainSubset',
        'epochs',
        'granularity',
        'model',
        'pretrain.epochs',
      ].sort(),
    );
    expect(byPath.model).toMatchObject({ expected: 'a string', got: '3' });
    expect(byPath.epochs).toMatchObject({ expected: '> 0', got: '0' });
    expect(byPath.granularity).toMatchObject({ expected: 'one of "layer", "kernel"', got: '"channel"' });
    expect(byPath['pretrain.epochs']).toMatchObject({ expected: 'a number', got: '"ten"' });
    expect(byPath['(root)'].expected).toContain('"colour"');
    expect(byPath['budgets.0'].got).toContain("'x'");
    expect(byPath.bitsRange.expected).toContain('bmin ≤ bmax');
  });

  it('starts PACT α at FRACBITS.md §2 values unless alphaInit says otherwise, and validates it', () => {
    expect(resolveConfig({}).alphaInit).toEqual({ conv: 8, linear: 10 });
    expect(resolveConfig({ alphaInit: { conv: 2 } }).alphaInit).toEqual({ conv: 2, linear: 10 });
    expect(issues({ alphaInit: { conv: 0 } })[0]).toMatchObject({ path: 'alphaInit.conv' });
    expect(issues({ alphaInit: { linear: -1 } })[0]).toMatchObject({ path: 'alphaInit.linear' });
    expect(issues({ alphaInit: { dense: 3 } })[0]).toMatchObject({ path: 'alphaInit' });
  });

  it('puts every problem in the error message, one per line', () => {
    expect(() => resolveConfig({ epochs: -1, lr: 'fast' }, 'my.json')).toThrow(
      /invalid configuration \(my\.json\), 2 problems:\n {2}- epochs: expected > 0, got -1\n {2}- lr: expected a number, got "fast"/,
    );
  });

  it('makes pruning kernel-wise from 0 bits, refuses it with the uniform baseline, and a uniform run without bits', () => {
    // Weights reach 0 bits; activations keep the range as given, so only the 0 bits differ.
    expect(resolveConfig({ prune: true, bitsRange: [2, 6] })).toMatchObject({
      granularity: 'kernel',
      bitsRange: [0, 6],
      activationBitsRange: [2, 6],
    });
    expect(resolveConfig({ prune: true })).toMatchObject({ bitsRange: [0, 8], activationBitsRange: [1, 8] });
    expect(resolveConfig({ prune: true, bitsRange: [0, 8] }).activationBitsRange).toEqual([1, 8]);
    expect(resolveConfig({ prune: true, activationBitsRange: [3, 8] }).activationBitsRange).toEqual([3, 8]);
    expect(resolveConfig({}).activationBitsRange).toBeUndefined();
    expect(issues({ activationBitsRange: [0, 8] })[0]).toMatchObject({ path: 'activationBitsRange.0' });
    expect(issues({ prune: true, method: 'uniform', bits: 3 })[0]).toMatchObject({ path: 'prune' });
    expect(issues({ method: 'uniform', budgets: ['bitops=5G'] })[0]).toMatchObject({ path: 'bits' });
  });

  it('normalises budgets: strings with @kappa and @unit, objects', () => {
    const c = resolveConfig({
      budgets: ['bitops=uniform:2@kappa=0.5@unit=MBitOps', { cost: 'size', target: 40, unit: 'kB' }],
    });
    expect(c.budgets).toEqual([
      { cost: 'bitops', target: 'uniform:2', kappa: 0.5, unit: 'MBitOps' },
      { cost: 'size', target: '40', unit: 'kB' },
    ]);
    expect(formatBudgetSpec(c.budgets[0])).toBe('bitops=uniform:2@kappa=0.5@unit=MBitOps');
    expect(() => parseBudgetSpec('bitops=uniform:3@kapa=1')).toThrow(/unknown suffix '@kapa'/);
    expect(() => parseBudgetSpec('bitops=uniform:3@kappa=-2')).toThrow(/κ must be a number ≥ 0/);
  });

  it('merges flags over a file, nested objects key by key', () => {
    const merged = mergeConfig(
      { epochs: 4, pretrain: { epochs: 2, lr: 0.1 }, plugins: ['a'] },
      { epochs: 6, pretrain: { epochs: 0 }, model: undefined },
    );
    expect(merged).toEqual({ epochs: 6, pretrain: { epochs: 0, lr: 0.1 }, plugins: ['a'] });
  });
});

describe('loadConfigFile', () => {
  it('reads JSON and defineConfig modules', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ epochs: 2 }));
    writeFileSync(join(dir, 'b.mjs'), 'export default { epochs: 3, plugins: ["./p.mjs"] };');
    expect((await loadConfigFile(join(dir, 'a.json'))).config).toEqual({ epochs: 2 });
    const b = await loadConfigFile(join(dir, 'b.mjs'));
    expect(b).toMatchObject({ baseDir: dir, config: { epochs: 3 } });
    expect(defineConfig({ epochs: 1 })).toEqual({ epochs: 1 });
  });

  it('fails clearly on bad files', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{ epochs: 2');
    writeFileSync(join(dir, 'list.json'), '[1]');
    writeFileSync(join(dir, 'c.yaml'), 'epochs: 2');
    await expect(loadConfigFile(join(dir, 'bad.json'))).rejects.toThrow(/expected valid JSON/);
    await expect(loadConfigFile(join(dir, 'list.json'))).rejects.toThrow(/got an array/);
    await expect(loadConfigFile(join(dir, 'c.yaml'))).rejects.toThrow(/\.json, \.mjs, \.js or \.ts/);
    await expect(loadConfigFile(join(dir, 'missing.json'))).rejects.toThrow(/no such file/);
    if (!nodeStripsTypes()) {
      writeFileSync(join(dir, 'd.ts'), 'export default { epochs: 2 };');
      await expect(loadConfigFile(join(dir, 'd.ts'))).rejects.toThrow(/cannot import TypeScript/);
    }
  });
});
