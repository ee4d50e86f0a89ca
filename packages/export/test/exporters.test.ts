import { assignmentFor, getBitsSync, layerInfos } from '@fracbits/core';
import { lenet5, type Module } from '@fracbits/nn';
import { checkSpecificationVersion, type ExportInput } from '@fracbits/plugin-api';
import { tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { onnxExporter, onnxFloatExporter, onnxImporter } from '../src/exporters.js';
import { decodeModel } from '../src/proto/codec.js';
import { randomArray } from './helpers.js';
import { cnnModel } from './models.js';
import { cycle, quantizeFixed } from './quantized.js';

const SHAPE = [1, 28, 28];

function run(format: string): ExportInput<Module> {
  const calibration = tensor(randomArray(8 * 784, 3, 0, 1), [8, ...SHAPE]);
  const model = quantizeFixed(lenet5({ seed: 5 }), SHAPE, calibration, {
    conv2: { w: cycle(16, [2, 3]), a: 3 },
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

describe('plugins', () => {
  it('declare the v1 specification', () => {
    for (const p of [onnxExporter, onnxFloatExporter, onnxImporter])
      expect(checkSpecificationVersion(p)).toBe(p);
    expect(onnxExporter.formats).toEqual(['onnx']);
    expect(onnxFloatExporter.formats).toEqual(['onnx-float']);
  });

  it("'onnx' writes the QDQ model and a JSON table of bits and weight bytes", async () => {
    const files = await onnxExporter.export(run('onnx'));
    expect(files.map((f) => [f.path, f.mediaType])).toEqual([
      ['lenet5-mixed.onnx', 'application/onnx'],
      ['lenet5-mixed.onnx.json', 'application/json'],
    ]);
    const meta = Object.fromEntries(
      decodeModel(files[0].data as Uint8Array).metadata_props!.map((e) => [e.key, e.value]),
    );
    expect(meta).toMatchObject({
      accuracy: '0.9',
      'fracbits.name': 'lenet5-mixed',
      'fracbits.format': 'qdq',
    });
    const table = JSON.parse(files[1].data as string);
    expect(table.layers.map((l: { name: string }) => l.name)).toEqual([
      'conv1',
      'conv2',
      'fc1',
      'fc2',
      'fc3',
    ]);
    expect(table.weightBytes).toBe(
      table.layers.reduce((s: number, l: { weightBytes: number }) => s + l.weightBytes, 0),
    );
  });

  it("'onnx' refuses other formats and bits that do not describe the model", async () => {
    await expect(onnxExporter.export(run('qonnx'))).rejects.toThrow(
      /onnx exporter: expected format 'onnx', got 'qonnx'/,
    );
    const input = run('onnx');
    const bits = input.bits.map((b, i) => (i === 2 ? { w: [7], a: b.a } : b));
    await expect(onnxExporter.export({ ...input, bits })).rejects.toThrow(
      /layer "fc1" has w=\[4, .*\] a=4 in the model, but the run reports w=\[7\] a=4/,
    );
  });

  it("'onnx-float' writes the float network; the importer plugin reads ONNX", async () => {
    const [file] = await onnxFloatExporter.export(run('onnx-float'));
    expect(file.path).toBe('lenet5-mixed.float.onnx');
    const loaded = await onnxImporter.import(file.data as Uint8Array);
    expect(loaded.inputShape).toEqual(SHAPE);
    expect(loaded.numClasses).toBe(10);
    expect((await onnxImporter.import(cnnModel())).inputShape).toEqual([3, 9, 7]);
  });
});
