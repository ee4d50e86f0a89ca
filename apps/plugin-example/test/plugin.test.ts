import {
  checkSpecificationVersion,
  type ExportInput,
  type FracbitsPlugin,
  instantiate,
  isFactory,
  SPECIFICATION_VERSION,
} from '@fracbits/plugin-api';
import { describe, expect, it } from 'vitest';
import plugin, { acmeBitsFile, acmeJsonExporter, acmeLatency, JSON_FORMAT_ID } from '../src/index.js';
import { network } from './layers.js';

describe('the plugin bundle', () => {
  it('passes the host check of the specification version, members included', () => {
    expect(plugin.specificationVersion).toBe(SPECIFICATION_VERSION);
    expect(checkSpecificationVersion(plugin as FracbitsPlugin)).toBe(plugin);
    expect(plugin.name).toBe('fracbits-plugin-example');
  });

  it('provides the latency model as a factory and the JSON exporter', () => {
    const [factory] = plugin.costModels;
    expect(isFactory(factory)).toBe(true);
    const model = instantiate(factory, { unit: 'ms' });
    expect(model.name).toBe('acme-latency');
    expect(model.unit).toBe('ms');
    expect(plugin.exporters.map((e) => e.formats)).toEqual([['acme-json']]);
  });
});

describe('acme-json exporter', () => {
  const bits = [
    { w: [8], a: 8 },
    { w: [2, 0, 3, 4, 1], a: 4 },
    { w: [3], a: 2 },
    { w: [8], a: 5 },
  ];
  const run: ExportInput = {
    model: null,
    layers: network,
    bits,
    format: 'acme-json',
    inputShape: [1, 28, 28],
    name: 'tiny-fracbits',
    metadata: { accuracy: 0.83 },
  };

  it('writes one JSON file with every layer, its bits and the predicted latency', async () => {
    const files = await acmeJsonExporter.export(run);
    expect(files.map((f) => [f.path, f.mediaType])).toEqual([
      ['tiny-fracbits.acme.json', 'application/json'],
    ]);
    const file = JSON.parse(files[0].data as string);
    expect(file.format).toBe(JSON_FORMAT_ID);
    expect(file.version).toBe(1);
    expect(file.accelerator).toBe('Acme EdgeNPU-1');
    expect(file.inputShape).toEqual([1, 28, 28]);
    expect(file.metadata).toEqual({ accuracy: 0.83 });
    expect(file.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'dw2', 'fc1', 'fc2']);
    expect(file.layers.map((l: { kind: string }) => l.kind)).toEqual([
      'conv',
      'depthwise',
      'linear',
      'linear',
    ]);
    expect(file.layers[1].weightBits).toEqual([2, 0, 3, 4, 1]);
    expect(file.layers[2]).toMatchObject({ weightBits: 3, activationBits: 2, pinned: false });
    expect(file.layers[0]).toMatchObject({ weightBits: 8, activationBits: 8, pinned: true });
    expect(file.latencyUs).toBeCloseTo(acmeLatency().evaluate(network, bits).total, 12);
    const sum = file.layers.reduce((s: number, l: { latencyUs: number }) => s + l.latencyUs, 0);
    expect(sum).toBeCloseTo(file.latencyUs, 12);
  });

  it('refuses fractional bits, other formats and mismatched lists', async () => {
    const fractional = bits.map((b, i) => (i === 2 ? { w: [3.5], a: 2 } : b));
    await expect(acmeJsonExporter.export({ ...run, bits: fractional })).rejects.toThrow(
      /layer "fc1" has bit-width 3.5; expected integers in 0..8 \(export after discretisation\)/,
    );
    await expect(acmeJsonExporter.export({ ...run, format: 'onnx' })).rejects.toThrow(
      /expected format 'acme-json', got 'onnx'/,
    );
    expect(() => acmeBitsFile('x', network, bits.slice(1), [1, 28, 28])).toThrow(
      /one bit assignment per layer \(4\), got 3/,
    );
  });
});
