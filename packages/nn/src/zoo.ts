/** The model zoo: published architectures by name, built with a seeded initialisation. */

import type { ModelOptions } from './models/common.js';
import { convnet, lenet5 } from './models/lenet.js';
import { mobilenetv1, mobilenetv2 } from './models/mobilenet.js';
import { resnet18, resnet20 } from './models/resnet.js';
import type { Module } from './modules/module.js';
import { nameTensors } from './modules/module.js';

export type { ModelOptions } from './models/common.js';

export interface ModelInfo {
  readonly name: string;
  readonly description: string;
  /** Published input [C, H, W] and class count (the defaults of createModel). */
  readonly inputSize: readonly [number, number, number];
  readonly numClasses: number;
  /** Parameter count at the defaults (checked by the tests). */
  readonly parameters: number;
}

interface Entry extends ModelInfo {
  readonly build: (options: ModelOptions) => Module;
}

const MODELS: readonly Entry[] = [
  {
    name: 'lenet5',
    description: 'LeNet-5 (ReLU, max-pool): 2 conv5×5 + 3 fc, for 28×28 grey images',
    inputSize: [1, 28, 28],
    numClasses: 10,
    parameters: 61_706,
    build: lenet5,
  },
  {
    name: 'convnet',
    description: 'Two conv3×3 (32, 64) + fc 128, the classic MNIST CNN',
    inputSize: [1, 28, 28],
    numClasses: 10,
    parameters: 421_642,
    build: convnet,
  },
  {
    name: 'resnet20',
    description: 'ResNet-20 for CIFAR-10 (He et al.), option-A zero-padding shortcuts',
    inputSize: [3, 32, 32],
    numClasses: 10,
    parameters: 269_722,
    build: (o) => resnet20({ ...o, shortcut: 'A' }),
  },
  {
    name: 'resnet20b',
    description: 'ResNet-20 for CIFAR-10 with option-B shortcuts (1×1 conv + BN projections)',
    inputSize: [3, 32, 32],
    numClasses: 10,
    parameters: 272_474,
    build: (o) => resnet20({ ...o, shortcut: 'B' }),
  },
  {
    name: 'resnet18',
    description: "ResNet-18, torchvision's layout and parameter names (ImageNet 224×224)",
    inputSize: [3, 224, 224],
    numClasses: 1000,
    parameters: 11_689_512,
    build: resnet18,
  },
  {
    name: 'mobilenetv1',
    description: 'MobileNetV1 1.0 (Howard et al.), 13 depthwise-separable blocks (ImageNet 224×224)',
    inputSize: [3, 224, 224],
    numClasses: 1000,
    parameters: 4_231_976,
    build: mobilenetv1,
  },
  {
    name: 'mobilenetv2',
    description:
      "MobileNetV2 1.0, torchvision's layout and parameter names, last channel 1280 (ImageNet 224×224)",
    inputSize: [3, 224, 224],
    numClasses: 1000,
    parameters: 3_504_872,
    build: mobilenetv2,
  },
];

export function listModels(): ModelInfo[] {
  return MODELS.map(({ build: _, ...info }) => info);
}

/**
 * Builds a zoo model. Every parameter and buffer gets its dotted path as `name`. Flatten sizes
 * follow `inputSize`, so e.g. lenet5 on 32×32×3 works.
 */
export function createModel(name: string, options: ModelOptions = {}): Module {
  const entry = MODELS.find((m) => m.name === name);
  if (!entry)
    throw new Error(
      `createModel: unknown model "${name}"; available: ${MODELS.map((m) => m.name).join(', ')}`,
    );
  const model = entry.build(options);
  nameTensors(model);
  return model;
}
