export { Identity, ReLU, ReLU6, Sigmoid, Tanh } from './activation.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export {
  type Activation,
  BasicBlock,
  type BasicBlockOptions,
  type ConvBnActOptions,
  convBnAct,
  DepthwiseSeparable,
  InvertedResidual,
  Residual,
  type ResidualOptions,
} from './blocks.js';
export { Sequential } from './container.js';
export { Conv2d, type Conv2dLayerOptions, convOutSize } from './conv.js';
export { Dropout } from './dropout.js';
export { defaultRng, initBias, initWeight } from './init.js';
export { Linear, type LinearOptions } from './linear.js';
export { type LoadStateDictOptions, type LoadStateDictResult, Module, nameTensors } from './module.js';
export {
  AdaptiveAvgPool2d,
  AvgPool2d,
  type AvgPoolOptions,
  GlobalAvgPool,
  MaxPool2d,
  type PoolOptions,
} from './pooling.js';
export { Flatten } from './reshape.js';
export { ChannelPadShortcut } from './shortcut.js';
export {
  describeLayers,
  type LayerDescription,
  type LayerGeometry,
  type LayerKind,
  layerMacs,
  layerParams,
  traceLayer,
} from './trace.js';
