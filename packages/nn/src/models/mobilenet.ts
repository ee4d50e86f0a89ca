import { convBnAct, DepthwiseSeparable, InvertedResidual } from '../modules/blocks.js';
import { Sequential } from '../modules/container.js';
import { Dropout } from '../modules/dropout.js';
import { Linear } from '../modules/linear.js';
import { GlobalAvgPool } from '../modules/pooling.js';
import { type ModelOptions, resolveOptions } from './common.js';

/** MobileNetV1's (output channels, stride) per depthwise-separable block (Howard et al., Table 1). */
const V1_BLOCKS: readonly (readonly [number, number])[] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

/**
 * MobileNetV1 1.0 (Howard et al. 2017): conv3×3/2 →32 + BN + ReLU, 13 depthwise-separable
 * blocks, global average pool, fc. 4 231 976 parameters for 1000 classes.
 * Children: conv1, features (0..12), avgpool, fc.
 */
export function mobilenetv1(options: ModelOptions = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('mobilenetv1', options, {
    numClasses: 1000,
    inputSize: [3, 224, 224],
  });
  const features = new Sequential();
  let channels = 32;
  for (const [out, stride] of V1_BLOCKS) {
    features.append(new DepthwiseSeparable(channels, out, stride, { rng }));
    channels = out;
  }
  return new Sequential()
    .append(convBnAct(inputSize[0], 32, 3, { stride: 2, rng }), 'conv1')
    .append(features, 'features')
    .append(new GlobalAvgPool(), 'avgpool')
    .append(new Linear(channels, numClasses, { rng }), 'fc');
}

/** MobileNetV2's inverted-residual settings: expansion t, channels c, repeats n, first stride s. */
const V2_SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/**
 * torchvision's mobilenet_v2 (width 1.0): conv3×3/2 →32, 17 inverted residuals, conv1×1 →1280
 * (all BN + ReLU6), global average pool, dropout 0.2, fc. 3 504 872 parameters for 1000
 * classes; state-dict keys match torchvision's (features.*, classifier.1.*).
 */
export function mobilenetv2(options: ModelOptions = {}): Sequential {
  const { numClasses, inputSize, rng } = resolveOptions('mobilenetv2', options, {
    numClasses: 1000,
    inputSize: [3, 224, 224],
  });
  const lastChannel = 1280;
  const features = new Sequential(convBnAct(inputSize[0], 32, 3, { stride: 2, activation: 'relu6', rng }));
  let channels = 32;
  for (const [t, c, n, s] of V2_SETTINGS) {
    for (let i = 0; i < n; i++) {
      features.append(new InvertedResidual(channels, c, i === 0 ? s : 1, t, { rng }));
      channels = c;
    }
  }
  features.append(convBnAct(channels, lastChannel, 1, { activation: 'relu6', rng }));
  return new Sequential()
    .append(features, 'features')
    .append(new GlobalAvgPool(), 'avgpool')
    .append(
      new Sequential(new Dropout(0.2, rng.fork()), new Linear(lastChannel, numClasses, { rng })),
      'classifier',
    );
}
