/** The 'packed' exporter plugin (specification v1): the integer model as a `.fbpk` file. */
import type { Module } from '@fracbits/nn';
import { packedSizeStats, readPackedModel, writePackedModel } from '@fracbits/packed';
import { defineExporter, type ExportedFile, type Exporter } from '@fracbits/plugin-api';
import { checkBits, checkFormat } from '../exporters.js';
import { buildPackedSpec } from './export.js';

/**
 * 'packed': the `.fbpk` file for `@fracbits/packed`'s runtimes, plus a JSON table of the bits and
 * the bytes (weights at their bit-widths, scales, file) of the model.
 */
export const packedExporter: Exporter<Module> = defineExporter<Module>({
  specificationVersion: 'v1',
  name: 'packed',
  description:
    'Packed low-bit model (.fbpk) for the @fracbits/packed WebGPU/CPU runtimes: weights at their exact per-channel bits, PACT input codes',
  formats: ['packed'],
  async export(run): Promise<ExportedFile[]> {
    checkFormat('packed', run, 'packed');
    const { spec, layers } = await buildPackedSpec(run.model, {
      inputShape: run.inputShape,
      metadata: { ...run.metadata, name: run.name },
    });
    checkBits(run.layers, run.bits, layers, 'packed');
    let bytes: Uint8Array;
    try {
      bytes = writePackedModel(spec);
    } catch (err) {
      throw new Error(`packed exporter: ${(err as Error).message}`, { cause: err });
    }
    const sizes = packedSizeStats(readPackedModel(bytes));
    const table = { sizes, layers };
    return [
      {
        path: `${run.name}.fbpk`,
        data: bytes,
        mediaType: 'application/vnd.fracbits.packed',
        description: `packed low-bit model, ${sizes.weightBytes} bytes of weights (${sizes.idealWeightBytes} at the exact bit-widths), ${sizes.fileBytes} bytes in all`,
      },
      {
        path: `${run.name}.fbpk.json`,
        data: `${JSON.stringify(table, null, 2)}\n`,
        mediaType: 'application/json',
        description: 'bits and bytes per layer of the packed model',
      },
    ];
  },
});
