import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  convBnAct,
  DepthwiseSeparable,
  Dropout,
  Flatten,
  InvertedResidual,
  Linear,
  lenet5,
  Module,
  Residual,
  resnet20,
  Sequential,
  Sigmoid,
  Tanh,
} from '@fracbits/nn';
import { type Tensor, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { exportOnnxFloat } from '../src/export/export.js';
import { importOnnx } from '../src/import/import.js';
import { checkModel } from '../src/proto/checker.js';
import { decodeModel } from '../src/proto/codec.js';
import { maxRelDiff, randomArray, runOurs } from './helpers.js';
import { cnnModel, residualModel } from './models.js';
import { runOrtSingle } from './ort.js';

/** Gives every BatchNorm non-trivial statistics and affine parameters (as after training). */
function randomizeBatchNorms(model: Module, seed: number): void {
  let s = seed;
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d || m instanceof BatchNorm1d)) continue;
    const c = m.numFeatures;
    m.weight.assign(tensor(randomArray(c, s++, 0.5, 1.5), [c]));
    m.bias.assign(tensor(randomArray(c, s++, -0.2, 0.2), [c]));
    m.runningMean.assign(tensor(randomArray(c, s++, -0.3, 0.3), [c]));
    m.runningVar.assign(tensor(randomArray(c, s++, 0.3, 2), [c]));
  }
}

/** Exports `model`, checks the file, and compares onnxruntime and re-import with our engine. */
async function roundTrip(
  model: Module,
  inputShape: number[],
  batch: number,
  seed: number,
): Promise<Uint8Array> {
  model.eval();
  const bytes = await exportOnnxFloat(model, { inputShape, metadata: { note: 'test', accuracy: 0.5 } });
  const proto = decodeModel(bytes);
  expect(checkModel(proto)).toEqual([]);
  expect(proto.opset_import).toEqual([{ version: 21 }]); // the default domain '' is not on the wire
  const dims = [batch, ...inputShape];
  const input = randomArray(
    dims.reduce((a, b) => a * b, 1),
    seed,
    0,
    1,
  );
  const ours = runOurs(model, input, dims);
  const ort = await runOrtSingle(bytes, input, dims);
  expect(ort.dims).toEqual(ours.dims);
  expect(maxRelDiff(ort.data, ours.data)).toBeLessThan(1e-5);
  const imported = importOnnx(bytes);
  expect(imported.inputShape).toEqual(inputShape);
  const again = runOurs(imported.model, input, dims);
  expect(maxRelDiff(again.data, ours.data)).toBeLessThan(1e-6);
  return bytes;
}

describe('exportOnnxFloat', () => {
  it('lenet5: onnxruntime and re-import match the engine', async () => {
    const bytes = await roundTrip(lenet5({ seed: 3 }), [1, 28, 28], 3, 1);
    const meta = Object.fromEntries(decodeModel(bytes).metadata_props!.map((e) => [e.key, e.value]));
    expect(meta).toMatchObject({ note: 'test', accuracy: '0.5', 'fracbits.format': 'float' });
    const ops = decodeModel(bytes).graph!.node!.map((n) => n.op_type);
    expect(ops).toEqual([
      'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Flatten',
      'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm', 'Identity',
    ]); // biome-ignore format: one op per slot reads better
  });

  it('resnet20 (BasicBlock, option-A shortcut: Slice + Pad, global pool) with trained-like BatchNorm', async () => {
    const model = resnet20({ seed: 1, inputSize: [3, 12, 12], numClasses: 7 });
    randomizeBatchNorms(model, 50);
    await roundTrip(model, [3, 12, 12], 2, 2);
  });

  it('inverted residual, depthwise-separable, generic residual, pools, Flatten(2), MatMul path, BatchNorm1d', async () => {
    const model = new Sequential(
      convBnAct(3, 8, 3, { activation: 'relu6' }),
      new InvertedResidual(8, 8, 1, 2),
      new DepthwiseSeparable(8, 12, 2),
      new Residual(new Sequential(new Conv2d(12, 12, 1), new Tanh()), { post: new Sigmoid() }),
      new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
      new Flatten(2),
      new Linear(4, 5),
      new Flatten(),
      new Dropout(0.3),
      new Linear(60, 6),
      new BatchNorm1d(6),
    );
    randomizeBatchNorms(model, 60);
    await roundTrip(model, [3, 7, 8], 3, 3);
  });

  it('re-exports imported ONNX graphs (residual Add, constant addend, Reshape, Flatten)', async () => {
    for (const original of [cnnModel(), residualModel()]) {
      const imported = importOnnx(original);
      const bytes = await roundTrip(imported.model, imported.inputShape, 2, 4);
      const dims = [2, ...imported.inputShape];
      const input = randomArray(
        dims.reduce((a, b) => a * b, 1),
        9,
      );
      const a = await runOrtSingle(original, input, dims);
      const b = await runOrtSingle(bytes, input, dims);
      expect(maxRelDiff(a.data, b.data)).toBeLessThan(1e-6);
    }
  });

  it('uses the most specific registered class, and rejects modules without a writer, naming them', async () => {
    class MyLinear extends Linear {}
    await expect(
      exportOnnxFloat(new Sequential(new MyLinear(4, 2)), { inputShape: [4] }),
    ).resolves.toBeInstanceOf(Uint8Array);
    class Unknown extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    await expect(exportOnnxFloat(new Sequential(new Unknown()), { inputShape: [3] })).rejects.toThrow(
      /exportOnnxFloat: no ONNX writer for module "0" \(Unknown\); register one with registerOnnxWriter/,
    );
    await expect(exportOnnxFloat(lenet5(), { inputShape: [0, 28, 28] })).rejects.toThrow(
      /exportOnnxFloat: inputShape must be positive integers/,
    );
  });
});
