import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { importPlugin, loadPlugins } from '../src/node.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe('plugin registry', () => {
  it('holds the built-in cost models, aliases and the ONNX exporter and importer', () => {
    const registry = createRegistry();
    expect(registry.costModel('bitops').unit).toBe('GBitOps');
    expect(registry.costModel('bitops', { unit: 'MBitOps' }).unit).toBe('MBitOps');
    expect(registry.costModel('latency', { profile: 'bitfusion' }).name).toBe('roofline');
    expect(registry.exporter('onnx').name).toBe('onnx');
    expect(registry.exporter('packed').name).toBe('packed');
    expect(registry.importerFor('model.ONNX')?.name).toBe('onnx');
    expect(() => registry.costModel('nope')).toThrow(/unknown cost model "nope"; registered: bitops, size/);
    expect(() => registry.exporter('tflite')).toThrow(
      /no exporter for format "tflite"; available formats: onnx, onnx-float, packed/,
    );
  });

  it('loads a third-party plugin from a path relative to the config directory', async () => {
    const registry = createRegistry();
    await loadPlugins(registry, ['./acme-plugin.mjs'], fixtures);
    const model = registry.costModel('acme-kbits');
    const layer = {
      name: 'fc',
      kind: 'linear',
      inChannels: 10,
      outChannels: 4,
      kernel: [1, 1],
      stride: [1, 1],
      groups: 1,
      inputShape: [10],
      outputShape: [4],
      macs: 40,
      params: 40,
      hasBias: true,
    } as const;
    expect(model.evaluate([layer], [{ w: [3], a: 4 }]).total).toBeCloseTo(0.12);
    expect(registry.exporter('acme-csv').name).toBe('acme-csv');
    expect(
      registry
        .list()
        .filter((m) => m.plugin === 'acme-npu')
        .map((m) => `${m.kind}:${m.name}`),
    ).toEqual(['costModel:acme-kbits', 'exporter:acme-csv']);
    expect(registry.plugins.at(-1)?.source).toBe('./acme-plugin.mjs');
  });

  it('refuses a plugin written for another specification version, and duplicates', async () => {
    const registry = createRegistry();
    await expect(loadPlugins(registry, ['./old-plugin.mjs'], fixtures)).rejects.toThrow(
      /plugin \.\/old-plugin\.mjs: plugin "old-plugin" implements plugin specification "v0", but this host supports 'v1'/,
    );
    await loadPlugins(registry, ['./acme-plugin.mjs'], fixtures);
    await expect(loadPlugins(registry, ['./acme-plugin.mjs'], fixtures)).rejects.toThrow(
      /already registered/,
    );
  });

  it('says what is wrong when a plugin cannot be loaded', async () => {
    await expect(importPlugin('./missing.mjs', fixtures)).rejects.toThrow(
      /cannot load plugin "\.\/missing\.mjs": no file .*relative to the config file's directory/,
    );
    await expect(importPlugin('acme-not-installed', fixtures)).rejects.toThrow(
      /package not found in node_modules/,
    );
    await expect(importPlugin('./helpers-not-a-plugin.mjs', join(fixtures, '..'))).rejects.toThrow(/no file/);
  });
});
