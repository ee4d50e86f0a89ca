/**
 * @fracbits/export/node — file access for Node: import ONNX files whose tensors live in external
 * data files next to them, and the matching importer plugin. Browser code uses the main entry
 * (with an `externalData` reader of its own).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { defineImporter, type Importer } from '@fracbits/plugin-api';
import type { OnnxGraphModule } from './import/graph-module.js';
import { type ImportedOnnx, type ImportOnnxOptions, importOnnx as importOnnxBytes } from './import/import.js';
import type { ExternalDataReader } from './proto/tensor-data.js';

export interface NodeImportOnnxOptions extends ImportOnnxOptions {
  /** Folder that external data locations are relative to (the model file's folder). */
  readonly baseDir?: string;
}

/**
 * Reads external data files from `baseDir`, refusing locations that leave it (absolute paths,
 * '..'): a model file must not make the importer read arbitrary files.
 */
export function externalDataFrom(baseDir: string): ExternalDataReader {
  const root = resolve(baseDir);
  const cache = new Map<string, Uint8Array>();
  return (location) => {
    const path = resolve(root, location);
    const rel = relative(root, path);
    if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`external data location "${location}" is outside the model's folder ${root}`);
    }
    let bytes = cache.get(path);
    if (!bytes) {
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new Error(`cannot read external data file "${location}" in ${root}: ${(e as Error).message}`);
      }
      cache.set(path, bytes);
    }
    return bytes;
  };
}

/** importOnnx with external data read from `baseDir` (when no `externalData` reader is given). */
export function importOnnx(bytes: Uint8Array, options: NodeImportOnnxOptions = {}): ImportedOnnx {
  const externalData =
    options.externalData ?? (options.baseDir ? externalDataFrom(options.baseDir) : undefined);
  return importOnnxBytes(bytes, { ...options, externalData });
}

/** Imports an .onnx file; external data files are read from its folder. */
export function importOnnxFile(path: string, options: ImportOnnxOptions = {}): ImportedOnnx {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`importOnnxFile: cannot read ${path}: ${(e as Error).message}`);
  }
  return importOnnx(bytes, { ...options, baseDir: dirname(path) });
}

/** The ONNX importer with option `baseDir` for external data (Node). */
export const onnxFileImporter: Importer<OnnxGraphModule> = defineImporter<OnnxGraphModule>({
  specificationVersion: 'v1',
  name: 'onnx',
  description: 'ONNX float models as @fracbits/nn modules; external data read from options.baseDir',
  formats: ['onnx'],
  extensions: ['.onnx'],
  async import(data, options) {
    return importOnnx(data, { baseDir: options?.baseDir as string | undefined });
  },
});
