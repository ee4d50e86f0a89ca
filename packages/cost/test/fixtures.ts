/** Hand-described networks: LeNet-5 (28×28) and torchvision's ResNet-18 (224×224). */
import type { LayerInfo } from '@fracbits/plugin-api';
import { convLayer, linearLayer } from '../src/index.js';

/** LeNet-5 as in fracbits-vectors.json: conv1 pinned W8/A8, fc3 weights pinned at 8. */
export function lenet5(pinned = true): LayerInfo[] {
  return [
    convLayer({
      name: 'conv1',
      inChannels: 1,
      outChannels: 6,
      kernel: 5,
      padding: 2,
      inputSize: 28,
      bias: true,
      ...(pinned ? { pinned: { w: 8, a: 8 } } : {}),
    }),
    convLayer({ name: 'conv2', inChannels: 6, outChannels: 16, kernel: 5, inputSize: 14, bias: true }),
    linearLayer({ name: 'fc1', inFeatures: 400, outFeatures: 120 }),
    linearLayer({ name: 'fc2', inFeatures: 120, outFeatures: 84 }),
    linearLayer({ name: 'fc3', inFeatures: 84, outFeatures: 10, ...(pinned ? { pinned: { w: 8 } } : {}) }),
  ];
}

function basicBlock(name: string, inC: number, outC: number, inputSize: number, stride: number): LayerInfo[] {
  const outSize = inputSize / stride;
  const layers = [
    convLayer({
      name: `${name}.conv1`,
      inChannels: inC,
      outChannels: outC,
      kernel: 3,
      stride,
      padding: 1,
      inputSize,
    }),
    convLayer({
      name: `${name}.conv2`,
      inChannels: outC,
      outChannels: outC,
      kernel: 3,
      padding: 1,
      inputSize: outSize,
    }),
  ];
  if (stride !== 1 || inC !== outC) {
    layers.push(
      convLayer({
        name: `${name}.downsample.0`,
        inChannels: inC,
        outChannels: outC,
        kernel: 1,
        stride,
        inputSize,
      }),
    );
  }
  return layers;
}

/** torchvision resnet18 at 224×224: conv1 pinned W8 with an 8-bit input, fc weights pinned at 8. */
export function resnet18(): LayerInfo[] {
  const layers: LayerInfo[] = [
    convLayer({
      name: 'conv1',
      inChannels: 3,
      outChannels: 64,
      kernel: 7,
      stride: 2,
      padding: 3,
      inputSize: 224,
      pinned: { w: 8, a: 8 },
    }),
  ];
  // After the 3×3/2 max-pool the stages run at 56, 28, 14, 7.
  const stages: [number, number, number, number][] = [
    [64, 64, 56, 1],
    [64, 128, 56, 2],
    [128, 256, 28, 2],
    [256, 512, 14, 2],
  ];
  stages.forEach(([inC, outC, size, stride], s) => {
    layers.push(...basicBlock(`layer${s + 1}.0`, inC, outC, size, stride));
    layers.push(...basicBlock(`layer${s + 1}.1`, outC, outC, size / stride, 1));
  });
  layers.push(linearLayer({ name: 'fc', inFeatures: 512, outFeatures: 1000, pinned: { w: 8 } }));
  return layers;
}
