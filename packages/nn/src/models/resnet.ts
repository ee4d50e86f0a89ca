import type { Rng } from '@fracbits/tensor';
import { ReLU } from '../modules/activation.js';
import { BatchNorm2d } from '../modules/batchnorm.js';
import { BasicBlock } from '../modules/blocks.js';
import { Sequential } from '../modules/container.js';
import { Conv2d } from '../modules/conv.js';
import { Linear } from '../modules/linear.js';
import { GlobalAvgPool, MaxPool2d } from '../modules/pooling.js';
import { type ModelOptions, resolveOptions } from './common.js';

/** A stage of `blocks` BasicBlocks, the first one strided (torchvision's `layerN`). */
function stage(
  inC: number,
  outC: number,
  blocks: number,
  stride: number,
  rng: Rng,
  shortcut: 'A' | 'B',
): Sequential {
  const s = new Sequential(new BasicBlock(inC, outC, stride, { rng, shortcut }));
  for (let i = 1; i < blocks; i++) s.append(new BasicBlock(outC, outC, 1, { rng, shortcut }));
  return s;
}

export interface Resnet20Options extends ModelOptions {
  /** 'A' (default, as published: 269 722 parameters) or 'B' (1×1 conv + BN projections). */
  shortcut?: 'A' | 'B';
}

/**
 * ResNet-20 for CIFAR (He et al. 2016, §4.2): conv3×3 →16, three stages of three BasicBlocks
 * with 16/32/64 channels (stride 2 at the start of stages 2 and 3), global average pool, fc.
 * Children named as torchvision's ResNet: conv1, bn1, relu, layer1..3, avgpool, fc.
 */
export function resnet20(options: Resnet20Options = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('resnet20', options, {
    numClasses: 10,
    inputSize: [3, 32, 32],
  });
  const shortcut = options.shortcut ?? 'A';
  return new Sequential()
    .append(new Conv2d(inputSize[0], 16, 3, { padding: 1, bias: false, rng }), 'conv1')
    .append(new BatchNorm2d(16), 'bn1')
    .append(new ReLU(), 'relu')
    .append(stage(16, 16, 3, 1, rng, shortcut), 'layer1')
    .append(stage(16, 32, 3, 2, rng, shortcut), 'layer2')
    .append(stage(32, 64, 3, 2, rng, shortcut), 'layer3')
    .append(new GlobalAvgPool(), 'avgpool')
    .append(new Linear(64, numClasses, { rng }), 'fc');
}

/**
 * torchvision's resnet18: conv7×7/2 →64, BN, ReLU, maxpool 3×3/2, four stages of two
 * BasicBlocks (64/128/256/512, 1×1 conv + BN downsampling), global average pool, fc.
 * 11 689 512 parameters for 1000 classes; state-dict keys match torchvision's.
 */
export function resnet18(options: ModelOptions = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('resnet18', options, {
    numClasses: 1000,
    inputSize: [3, 224, 224],
  });
  return new Sequential()
    .append(new Conv2d(inputSize[0], 64, 7, { stride: 2, padding: 3, bias: false, rng }), 'conv1')
    .append(new BatchNorm2d(64), 'bn1')
    .append(new ReLU(), 'relu')
    .append(new MaxPool2d(3, { stride: 2, padding: 1 }), 'maxpool')
    .append(stage(64, 64, 2, 1, rng, 'B'), 'layer1')
    .append(stage(64, 128, 2, 2, rng, 'B'), 'layer2')
    .append(stage(128, 256, 2, 2, rng, 'B'), 'layer3')
    .append(stage(256, 512, 2, 2, rng, 'B'), 'layer4')
    .append(new GlobalAvgPool(), 'avgpool')
    .append(new Linear(512, numClasses, { rng }), 'fc');
}
