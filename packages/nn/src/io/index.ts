export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointContent,
  type DecodedCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  type RestoreOptions,
  restoreCheckpoint,
} from './checkpoint.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  type SafeDType,
  type SafeTensor,
  type SafetensorsFile,
} from './safetensors.js';
