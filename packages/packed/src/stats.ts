import { channelsOf, rowLength } from './manifest.js';
import type { PackedModel } from './reader.js';

/** Where the bytes of a packed model go, against the ideal Σ params·bits / 8. */
export interface PackedSizeStats {
  /** Weights of conv/linear layers (all channels, pruned ones included). */
  readonly params: number;
  /** Σ params·bits / 8: the weight bytes at exact bit-widths with no padding. */
  readonly idealWeightBytes: number;
  /** Packed weight blobs as stored (rows padded to 32-bit words). */
  readonly weightBytes: number;
  /** Per-channel float32 scales. */
  readonly scaleBytes: number;
  /** Per-channel float32 biases and BN parameters. */
  readonly otherBytes: number;
  /** Header, manifest and alignment padding. */
  readonly overheadBytes: number;
  readonly fileBytes: number;
  /** weightBytes / idealWeightBytes − 1 (0 when ideal is 0). */
  readonly weightPadding: number;
}

export function packedSizeStats(model: PackedModel): PackedSizeStats {
  let params = 0;
  let idealBits = 0;
  let weightBytes = 0;
  let scaleBytes = 0;
  let otherBytes = 0;
  for (const layer of model.manifest.layers) {
    if (layer.op === 'conv' || layer.op === 'linear') {
      const k = rowLength(layer);
      params += k * channelsOf(layer);
      idealBits += k * layer.weightBits.reduce((a, b) => a + b, 0);
      weightBytes += layer.weights.length;
      scaleBytes += layer.scales.length;
      otherBytes += layer.bias?.length ?? 0;
    } else if (layer.op === 'bn') {
      otherBytes += layer.params.length;
    }
  }
  const idealWeightBytes = idealBits / 8;
  return {
    params,
    idealWeightBytes,
    weightBytes,
    scaleBytes,
    otherBytes,
    overheadBytes: model.byteLength - weightBytes - scaleBytes - otherBytes,
    fileBytes: model.byteLength,
    weightPadding: idealWeightBytes === 0 ? 0 : weightBytes / idealWeightBytes - 1,
  };
}
