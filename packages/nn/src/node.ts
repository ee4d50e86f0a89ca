/** Node-only helpers of @fracbits/nn: dataset directories and atomic checkpoint files. */

export { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from './node/checkpoint.js';
export {
  type DatasetDirOptions,
  DEFAULT_FASHION_MNIST_DIR,
  loadCifar10,
  loadFashionMnist,
  loadMnist,
  readMaybeGzip,
  type TrainTestSplit,
} from './node/datasets.js';
export { writeFileAtomic } from './node/files.js';
