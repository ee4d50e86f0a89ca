/**
 * @fracbits/nn — modules, model zoo, optimizers, LR schedules, datasets, checkpoints and training
 * loops on @fracbits/tensor. Browser-safe; file-system helpers live in '@fracbits/nn/node'.
 */

export * from './data/index.js';
export * from './io/index.js';
export { convnet, lenet5 } from './models/lenet.js';
export { mobilenetv1, mobilenetv2 } from './models/mobilenet.js';
export { type Resnet20Options, resnet18, resnet20 } from './models/resnet.js';
export * from './modules/index.js';
export * from './optim/index.js';
export {
  type BatchEvent,
  crossEntropyLoss,
  type EpochEvent,
  type EpochResult,
  type EvalResult,
  type EvaluateOptions,
  type ExtraLoss,
  evaluate,
  type LossFn,
  type TrainEpochOptions,
  type TrainEvent,
  trainEpoch,
} from './train.js';
export { createModel, listModels, type ModelInfo, type ModelOptions } from './zoo.js';
