import { assignmentFor, getBitsSync, layerInfos } from '@fracbits/core';
import { lenet5, type Module } from '@fracbits/nn';
import { inferCpu, readPackedModel } from '@fracbits/packed';
import { checkSpecificationVersion, type ExportInput } from '@fracbits/plugin-api';
import { tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { packedExporter } from '../src/index.js';
import { randomArray } from './helpers.js';
import { cycle, quantizeFixed } from './quantized.js';

const SHAPE = [1, 28, 28];

function run(format: string): ExportInput<Module> {
  const calibration = tensor(randomArray(8 * 784, 3, 0, 1), [8, ...SHAPE]);
  const model = quantizeFixed(lenet5({ seed: 5 }), SHAPE, calibration, {
    conv2: { w: cycle(16, [2, 0, 3]), a: 3 },
  });
  const layers = layerInfos(model, SHAPE);
  return {
    model,
    layers,
    bits: assignmentFor(layers, getBitsSync(model)),
    format,
    inputShape: SHAPE,
    name: 'lenet5-mixed',
    metadata: { accuracy: 0.9 },
  };
}

describe("'packed' exporter plugin", () => {
  it('declares the v1 specification and the packed format', () => {
    expect(checkSpecificationVersion(packedExporter)).toBe(packedExporter);
    expect(packedExporter.name).toBe('packed');
    expect(packedExporter.formats).toEqual(['packed']);
  });

  it('writes the .fbpk file and a JSON table of bits and bytes', async () => {
    const input = run('packed');
    const files = await packedExporter.export(input);
    expect(files.map((f) => [f.path, f.mediaType])).toEqual([
      ['lenet5-mixed.fbpk', 'application/vnd.fracbits.packed'],
      ['lenet5-mixed.fbpk.json', 'application/json'],
    ]);
    const model = readPackedModel(files[0].data as Uint8Array);
    expect(model.manifest.meta).toMatchObject({ accuracy: 0.9, name: 'lenet5-mixed' });
    expect(inferCpu(model, randomArray(2 * 784, 4, 0, 1))).toHaveLength(20);
    const table = JSON.parse(files[1].data as string);
    expect(table.layers.map((l: { name: string }) => l.name)).toEqual([
      'conv1',
      'conv2',
      'fc1',
      'fc2',
      'fc3',
    ]);
    expect(table.layers[1].weightBits).toEqual(cycle(16, [2, 0, 3]));
    expect(table.sizes.fileBytes).toBe((files[0].data as Uint8Array).length);
    expect(table.sizes.idealWeightBytes).toBe(
      table.layers.reduce((s: number, l: { packedBytes: number }) => s + l.packedBytes, 0),
    );
  });

  it('refuses other formats and bits that do not describe the model', async () => {
    await expect(packedExporter.export(run('onnx'))).rejects.toThrow(
      /packed exporter: expected format 'packed', got 'onnx'/,
    );
    const input = run('packed');
    const bits = input.bits.map((b, i) => (i === 3 ? { w: [7], a: b.a } : b));
    await expect(packedExporter.export({ ...input, bits })).rejects.toThrow(
      /packed exporter: layer "fc2" has w=\[4, .*\] a=4 in the model, but the run reports w=\[7\] a=4/,
    );
  });
});
