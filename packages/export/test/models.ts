/** ONNX test models written with the package's own GraphBuilder. */
import { attr, GraphBuilder } from '../src/proto/builder.js';
import { encodeModel } from '../src/proto/codec.js';
import { DataType } from '../src/proto/types.js';
import { randomArray } from './helpers.js';

export const F = DataType.FLOAT;

/** Adds float initializers with seeded random values. */
export function weights(
  b: GraphBuilder,
  name: string,
  dims: number[],
  seed: number,
  lo = -0.5,
  hi = 0.5,
): string {
  return b.floats(
    name,
    dims,
    randomArray(
      dims.reduce((x, y) => x * y, 1),
      seed,
      lo,
      hi,
    ),
  );
}

/** BatchNormalization with random but valid statistics. */
export function batchNorm(b: GraphBuilder, x: string, c: number, seed: number, name: string): string {
  const scale = weights(b, `${name}.scale`, [c], seed, 0.5, 1.5);
  const bias = weights(b, `${name}.bias`, [c], seed + 1);
  const mean = weights(b, `${name}.mean`, [c], seed + 2);
  const variance = weights(b, `${name}.var`, [c], seed + 3, 0.2, 2);
  return b.node('BatchNormalization', [x, scale, bias, mean, variance], {
    name,
    attributes: [attr.float('epsilon', 1e-3)],
  })[0];
}

/** conv+bn+relu+pool+gemm on an odd-sized input, with ONNX defaults that differ from PyTorch's. */
export function cnnModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('image', F, ['N', 3, 9, 7]);
  let y = b.node('Conv', [x, weights(b, 'c1.w', [5, 3, 3, 3], 1), weights(b, 'c1.b', [5], 2)], {
    name: '/features/conv1/Conv',
    attributes: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])],
  })[0];
  y = batchNorm(b, y, 5, 10, 'bn1');
  y = b.node('Relu', [y], { name: 'relu1' })[0];
  y = b.node('MaxPool', [y], {
    name: 'pool1',
    attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])],
  })[0]; // [5, 4, 3]
  y = b.node('Conv', [y, weights(b, 'c2.w', [6, 5, 3, 2], 3)], {
    name: 'conv2',
    attributes: [
      attr.ints('strides', [2, 1]),
      attr.ints('pads', [1, 0, 1, 0]),
      attr.ints('dilations', [1, 2]),
    ],
  })[0]; // [6, 2, 1]
  const lo = b.floats('zero', [], [0]);
  const hi = b.floats('six', [], [6]);
  y = b.node('Clip', [y, lo, hi], { name: 'relu6' })[0];
  // count_include_pad defaults to 0 in ONNX; strides default to 1.
  y = b.node('AveragePool', [y], {
    name: 'avg',
    attributes: [attr.ints('kernel_shape', [3, 1]), attr.ints('pads', [1, 0, 1, 0])],
  })[0];
  y = b.node('Flatten', [y], { name: 'flatten' })[0]; // [12]
  y = b.node('Gemm', [y, weights(b, 'fc1.w', [7, 12], 4), weights(b, 'fc1.b', [1, 7], 5)], {
    name: 'fc1',
    attributes: [attr.int('transB', 1), attr.float('alpha', 0.5), attr.float('beta', 2)],
  })[0];
  y = b.node('Relu', [y], { name: 'relu2' })[0];
  y = b.node('Gemm', [y, weights(b, 'fc2.w', [7, 4], 6), weights(b, 'fc2.b', [4], 7)], { name: 'fc2' })[0];
  b.output(y, F, ['N', 4]);
  return encodeModel(b.build());
}

/** A residual block: relu(bn(conv(x')) + x') with x' = relu(conv(x)), then a head with MatMul. */
export function residualModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2, 4, 5, 5]);
  let y = b.node('Conv', [x, weights(b, 'stem.w', [6, 4, 3, 3], 20)], {
    name: 'stem',
    attributes: [attr.ints('pads', [1, 1, 1, 1])],
  })[0];
  const skip = b.node('Relu', [y], { name: 'stem_relu' })[0];
  y = b.node('Conv', [skip, weights(b, 'body.w', [6, 6, 3, 3], 21)], {
    name: 'body_conv',
    attributes: [attr.ints('pads', [1, 1, 1, 1])],
  })[0];
  y = batchNorm(b, y, 6, 30, 'body_bn');
  y = b.node('Add', [y, skip], { name: 'residual_add' })[0];
  y = b.node('Relu', [y], { name: 'out_relu' })[0];
  y = b.node('GlobalAveragePool', [y], { name: 'gap' })[0];
  const shape = b.node('Constant', [], {
    name: 'shape_const',
    attributes: [attr.tensor('value', { dims: [2], data_type: DataType.INT64, int64_data: [0, -1] })],
  })[0];
  y = b.node('Reshape', [y, shape], { name: 'reshape' })[0];
  y = b.node('MatMul', [y, weights(b, 'head.w', [6, 3], 22)], { name: 'head' })[0];
  y = b.node('Add', [weights(b, 'head.b', [3], 23), y], { name: 'head_bias' })[0];
  y = b.node('Dropout', [y], { name: 'drop' })[0];
  y = b.node('Identity', [y], { name: 'out' })[0];
  b.output(y, F, [2, 3]);
  return encodeModel(b.build());
}

/** Depthwise + pointwise convs, a general Clip (opset-11 inputs from Constants), Flatten axis 2. */
export function depthwiseModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('x', F, ['batch', 3, 8, 7]);
  let y = b.node('Conv', [x, weights(b, 'dw.w', [3, 1, 3, 3], 40), weights(b, 'dw.b', [3], 41)], {
    name: 'dw',
    attributes: [attr.int('group', 3), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1])],
  })[0];
  const lo = b.node('Constant', [], { name: 'lo', attributes: [attr.float('value_float', -0.25)] })[0];
  const hi = b.node('Constant', [], { name: 'hi', attributes: [attr.float('value_float', 0.5)] })[0];
  y = b.node('Clip', [y, lo, hi], { name: 'clip' })[0];
  y = b.node('Conv', [y, weights(b, 'pw.w', [5, 3, 1, 1], 42)], { name: 'pw' })[0];
  y = b.node('MaxPool', [y], {
    name: 'pool',
    attributes: [
      attr.ints('kernel_shape', [3, 3]),
      attr.ints('pads', [1, 1, 1, 1]),
      attr.ints('strides', [1, 2]),
    ],
  })[0];
  y = b.node('Flatten', [y], { name: 'flat', attributes: [attr.int('axis', 2)] })[0];
  b.output(y, F, ['rows', 8]);
  return encodeModel(b.build());
}
