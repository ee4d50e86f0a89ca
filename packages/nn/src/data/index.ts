export { CIFAR10_CLASSES, parseCifar10 } from './cifar.js';
export {
  balancedSubset,
  concatDatasets,
  createDataset,
  type DatasetInit,
  type ImageDataset,
  subset,
} from './dataset.js';
export { gunzip, isGzip } from './gzip.js';
export { encodeIdx, type IdxArray, type IdxType, idxDataset, parseIdx } from './idx.js';
export {
  type Augmentation,
  type Batch,
  DataLoader,
  type DataLoaderOptions,
  type Normalization,
} from './loader.js';
