import { QConv2d, quantizeModel } from '@fracbits/core';
import { BatchNorm2d, Conv2d, describeLayers, Linear } from '@fracbits/nn';
import { getBackend } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../src/import/import.js';
import { attr, GraphBuilder } from '../src/proto/builder.js';
import { decodeModel, encodeModel } from '../src/proto/codec.js';
import { maxRelDiff, randomArray, runOurs } from './helpers.js';
import { cnnModel, depthwiseModel, F, residualModel, weights } from './models.js';
import { runOrtSingle } from './ort.js';

async function expectMatchesOrt(bytes: Uint8Array, dims: number[], seed: number): Promise<void> {
  const imported = importOnnx(bytes);
  expect(imported.inputShape).toEqual(dims.slice(1));
  const input = randomArray(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  const ours = runOurs(imported.model, input, dims);
  const ort = await runOrtSingle(bytes, input, dims);
  expect(ours.dims).toEqual(ort.dims);
  expect(maxRelDiff(ours.data, ort.data)).toBeLessThan(1e-5);
}

describe('importOnnx', () => {
  it('conv + bn + relu + pool + gemm matches onnxruntime', async () => {
    await expectMatchesOrt(cnnModel(), [3, 3, 9, 7], 100);
    const imported = importOnnx(cnnModel());
    expect(imported.outputShape).toEqual([4]);
    expect(imported.numClasses).toBe(4);
    expect(imported.metadata['onnx.opset']).toBe('21');
  });

  it('a residual Add of two branches, Constant/Reshape, MatMul + bias, Dropout, Identity', async () => {
    await expectMatchesOrt(residualModel(), [2, 4, 5, 5], 101);
  });

  it('depthwise conv, general Clip, strided padded max pool, Flatten(axis 2)', async () => {
    await expectMatchesOrt(depthwiseModel(), [2, 3, 8, 7], 102);
  });

  it('registers layers under the ONNX node names, so describeLayers and quantizers see them', () => {
    const { model, inputShape } = importOnnx(cnnModel());
    expect(model.getModule('features_conv1_Conv')).toBeInstanceOf(Conv2d);
    expect(model.onnxNames.get('features_conv1_Conv')).toBe('/features/conv1/Conv');
    expect(model.getModule('bn1')).toBeInstanceOf(BatchNorm2d);
    expect(model.getModule('fc2')).toBeInstanceOf(Linear);
    const layers = describeLayers(model, inputShape);
    expect(layers.map((l) => [l.name, l.kind, l.outputShape])).toEqual([
      ['features_conv1_Conv', 'conv', [1, 5, 9, 7]],
      ['conv2', 'conv', [1, 6, 2, 1]],
      ['fc1', 'linear', [1, 7]],
      ['fc2', 'linear', [1, 4]],
    ]);
    expect(layers[1]).toMatchObject({ stride: [2, 1], padding: [1, 0], dilation: [1, 2], hasBias: false });
    const q = quantizeModel(model, { targetBits: 4, inputShape, mode: 'fixed' });
    expect(q.layers.map((l) => l.name)).toEqual(['features_conv1_Conv', 'conv2', 'fc1', 'fc2']);
    expect(model.getModule('conv2')).toBeInstanceOf(QConv2d);
    const out = runOurs(model, randomArray(2 * 3 * 9 * 7, 5), [2, 3, 9, 7]);
    expect(out.dims).toEqual([2, 4]);
    expect(out.data.every(Number.isFinite)).toBe(true);
  });

  it('keeps a state dict keyed by node names and runs any batch size', () => {
    const { model } = importOnnx(residualModel());
    const keys = [...model.stateDict().keys()];
    expect(keys).toContain('stem.weight');
    expect(keys).toContain('body_bn.running_var');
    expect(keys).toContain('const_0');
    expect(runOurs(model, randomArray(5 * 4 * 5 * 5, 1), [5, 4, 5, 5]).dims).toEqual([5, 3]);
  });
});

describe('importOnnx errors', () => {
  function single(opType: string, extra: (b: GraphBuilder, x: string) => string[], options = {}): Uint8Array {
    const b = new GraphBuilder();
    const x = b.input('x', F, ['N', 2, 4, 4]);
    const [y] = b.node(opType, extra(b, x), { name: 'bad', ...options });
    b.output(y, F, ['N', 2, 4, 4]);
    return encodeModel(b.build());
  }

  it('rejects malformed bytes', () => {
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 250, 251]))).toThrow(/importOnnx: .*not an ONNX model/);
    expect(() => importOnnx(new Uint8Array(0))).toThrow(/importOnnx: .*empty/);
    const truncated = cnnModel().subarray(0, 200);
    expect(() => importOnnx(truncated)).toThrow(/importOnnx/);
  });

  it('names the node and op type of an unsupported op', () => {
    expect(() => importOnnx(single('LSTM', (_, x) => [x]))).toThrow(
      /importOnnx: node "bad" \(LSTM\): unsupported op type \(supported: Conv, Gemm/,
    );
    expect(() => importOnnx(single('Relu', (_, x) => [x], { domain: 'com.example' }))).toThrow(/com.example/);
  });

  it('names the node reading a missing initializer', () => {
    const model = cnnModel();
    const b = new GraphBuilder();
    const x = b.input('x', F, ['N', 2, 4, 4]);
    const [y] = b.node('Conv', [x, x], { name: 'conv' });
    b.output(y, F, ['N', 2, 4, 4]);
    const proto = b.build();
    proto.graph!.node![0].input = ['x', 'missing_weight'];
    expect(() => importOnnx(encodeModel(proto))).toThrow(
      /node 0 "conv" \(Conv\) reads "missing_weight", which is not defined/,
    );
    expect(model.length).toBeGreaterThan(0);
  });

  it('frees the layers it built when a later node fails (no partial model)', () => {
    const proto = decodeModel(cnnModel());
    const graph = proto.graph!;
    const last = graph.output![0].name!;
    graph.node!.push({ name: 'late', op_type: 'LSTM', input: [last], output: ['late_out'] });
    graph.output = [{ name: 'late_out', type: { tensor_type: { elem_type: F } } }];
    const before = getBackend().memory().liveBuffers;
    expect(() => importOnnx(encodeModel(proto))).toThrow(/node "late" \(LSTM\): unsupported op type/);
    expect(getBackend().memory().liveBuffers).toBe(before);
  });

  it('rejects dynamic shapes, computed weights and unsupported attributes with reasons', () => {
    const b = new GraphBuilder();
    const x = b.input('x', F, ['N', 3, 'H', 'W']);
    b.output(b.node('Relu', [x])[0], F, ['N', 3, 'H', 'W']);
    expect(() => importOnnx(encodeModel(b.build()))).toThrow(
      /dimension 2 is "H"; only the batch dimension may be dynamic/,
    );

    expect(() => importOnnx(single('MatMul', (_, x) => [x, x]))).toThrow(
      /node "bad" \(MatMul\): only a constant right operand/,
    );
    expect(() =>
      importOnnx(
        single('Conv', (b, x) => [x, weights(b, 'w', [2, 2, 3, 3], 1)], {
          attributes: [attr.ints('pads', [1, 1, 0, 0])],
        }),
      ),
    ).toThrow(/node "bad" \(Conv\): asymmetric pads \[1, 1, 0, 0\] are not supported/);
    expect(() =>
      importOnnx(
        single('Conv', (b, x) => [x, weights(b, 'w', [2, 2, 3, 3], 1)], {
          attributes: [attr.string('auto_pad', 'SAME_UPPER')],
        }),
      ),
    ).toThrow(/auto_pad "SAME_UPPER" is not supported/);
    expect(() =>
      importOnnx(
        single('MaxPool', (_, x) => [x], {
          attributes: [attr.ints('kernel_shape', [2, 2]), attr.int('ceil_mode', 1)],
        }),
      ),
    ).toThrow(/node "bad" \(MaxPool\): ceil_mode = 1 is not supported/);
    expect(() => importOnnx(single('Relu', (_, x) => [x], { attributes: [attr.float('alpha', 1)] }))).toThrow(
      /node "bad" \(Relu\): attribute "alpha" is not supported/,
    );
    // A shape mismatch found by the shape walk names the node too.
    expect(() => importOnnx(single('Conv', (b, x) => [x, weights(b, 'w', [2, 5, 3, 3], 1)]))).toThrow(
      /node "bad" \(Conv\): Conv2d\(5→2\): expected input \[N, 5, H, W\], got \[1, 2, 4, 4\]/,
    );
  });
});
