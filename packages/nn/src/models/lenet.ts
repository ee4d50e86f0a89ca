import { ReLU } from '../modules/activation.js';
import { Sequential } from '../modules/container.js';
import { Conv2d } from '../modules/conv.js';
import { Linear } from '../modules/linear.js';
import { MaxPool2d } from '../modules/pooling.js';
import { Flatten } from '../modules/reshape.js';
import { type ModelOptions, resolveOptions } from './common.js';

/** Input features of the first linear layer after `features`, from a shape-only walk. */
function flatSize(features: Sequential, inputSize: readonly number[]): number {
  const [, c, h, w] = features.outputShape([1, ...inputSize]);
  return c * h * w;
}

/**
 * LeNet-5 as in the common modern form (ReLU, max-pooling): conv5×5 1→6 pad 2, ReLU, maxpool 2,
 * conv5×5 6→16, ReLU, maxpool 2, fc 400→120→84→classes with ReLU. 61 706 parameters at 28×28×1.
 */
export function lenet5(options: ModelOptions = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('lenet5', options, {
    numClasses: 10,
    inputSize: [1, 28, 28],
  });
  const model = new Sequential()
    .append(new Conv2d(inputSize[0], 6, 5, { padding: 2, rng }), 'conv1')
    .append(new ReLU(), 'relu1')
    .append(new MaxPool2d(2), 'pool1')
    .append(new Conv2d(6, 16, 5, { rng }), 'conv2')
    .append(new ReLU(), 'relu2')
    .append(new MaxPool2d(2), 'pool2');
  const flat = flatSize(model, inputSize);
  return model
    .append(new Flatten(), 'flatten')
    .append(new Linear(flat, 120, { rng }), 'fc1')
    .append(new ReLU(), 'relu3')
    .append(new Linear(120, 84, { rng }), 'fc2')
    .append(new ReLU(), 'relu4')
    .append(new Linear(84, numClasses, { rng }), 'fc3');
}

/**
 * The classic two-conv MNIST network (Keras/PyTorch examples): conv3×3 1→32 pad 1, ReLU,
 * maxpool 2, conv3×3 32→64 pad 1, ReLU, maxpool 2, fc 3136→128, ReLU, fc 128→classes.
 * 421 642 parameters at 28×28×1.
 */
export function convnet(options: ModelOptions = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('convnet', options, {
    numClasses: 10,
    inputSize: [1, 28, 28],
  });
  const model = new Sequential()
    .append(new Conv2d(inputSize[0], 32, 3, { padding: 1, rng }), 'conv1')
    .append(new ReLU(), 'relu1')
    .append(new MaxPool2d(2), 'pool1')
    .append(new Conv2d(32, 64, 3, { padding: 1, rng }), 'conv2')
    .append(new ReLU(), 'relu2')
    .append(new MaxPool2d(2), 'pool2');
  const flat = flatSize(model, inputSize);
  return model
    .append(new Flatten(), 'flatten')
    .append(new Linear(flat, 128, { rng }), 'fc1')
    .append(new ReLU(), 'relu3')
    .append(new Linear(128, numClasses, { rng }), 'fc2');
}
