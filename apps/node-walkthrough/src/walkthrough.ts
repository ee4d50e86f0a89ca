/**
 * The fracbits walkthrough: the whole FracBits workflow with the library API, one step at a time.
 *
 *   1. pick a backend (WebGPU through Dawn when there is an adapter, else the CPU reference)
 *   2. load Fashion-MNIST and take a class-balanced subset
 *   3. build a zoo model and pre-train it in float
 *   4. run FracBits under a BitOps budget (search → discretise → fine-tune → evaluate)
 *   5. print the per-layer bit-widths
 *   6. export the integer model as ONNX (QDQ) and as a packed low-bit file
 *   7. load the packed file and measure its accuracy with true low-bit inference
 *
 * Read it top to bottom; README.md walks through the same steps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type FracBitsEvent, type LayerBits, runFracBits } from '@fracbits/core';
import { bitopsModel } from '@fracbits/cost';
import { exportOnnxQdq, exportPacked } from '@fracbits/export';
import {
  balancedSubset,
  CosineSchedule,
  createModel,
  DataLoader,
  evaluate,
  type ImageDataset,
  type Module,
  SGD,
  splitDecay,
  subset,
  trainEpoch,
} from '@fracbits/nn';
import { loadFashionMnist } from '@fracbits/nn/node';
import { evaluateAccuracy, inferCpu, loadPackedModel, readPackedModel } from '@fracbits/packed';
import { type Backend, CpuBackend, noGrad, scope, setBackend, tensor } from '@fracbits/tensor';
import type { WalkthroughOptions } from './options.js';

const EVAL_LABELS = {
  fractional: 'fractional model (before rounding)',
  rounded: 'integer model right after rounding (before fine-tuning)',
  final: 'integer model',
} as const;

export { DEFAULTS, parseOptions, USAGE, type WalkthroughOptions } from './options.js';

export interface WalkthroughResult {
  readonly backend: string;
  readonly trainImages: number;
  readonly testImages: number;
  readonly floatAccuracy: number;
  /** The integer mixed-precision model, as runFracBits reports it. */
  readonly fracbits: {
    readonly accuracy: number;
    readonly fractionalAccuracy: number;
    /** MBitOps of the integer model, the budget, and their ratio. */
    readonly cost: number;
    readonly budget: number;
    readonly ratio: number;
    readonly bits: readonly { layer: string; w: number | number[]; a: number }[];
  };
  /** Accuracy of the packed file run by @fracbits/packed on the same test slice. */
  readonly packed: {
    readonly accuracy: number;
    readonly runtime: string;
    readonly bytes: number;
    /** Largest |packed − engine| logit over the compared images, and the largest |engine logit|. */
    readonly maxLogitDiff: number;
    readonly maxLogit: number;
  };
  readonly onnx: { readonly bytes: number; readonly weightBytes: number; readonly packedBytes: number };
  /** Absolute paths of the files written. */
  readonly files: { readonly onnx: string; readonly packed: string; readonly summary: string };
}

export type Log = (line: string) => void;

const percent = (x: number) => `${(100 * x).toFixed(2)} %`;

/** Step 1: WebGPU through Dawn (`@fracbits/webgpu/node`) when asked or available, else the CPU. */
async function pickBackend(choice: WalkthroughOptions['backend'], log: Log): Promise<Backend> {
  if (choice !== 'cpu') {
    // Imported lazily so that `--backend cpu` never loads the Dawn binary.
    const { createNodeBackend, hasWebGpuAdapter } = await import('@fracbits/webgpu/node');
    if (choice === 'webgpu' || (await hasWebGpuAdapter())) return createNodeBackend();
    log('no WebGPU adapter found (see scripts/setup): using the CPU reference backend');
  }
  return new CpuBackend();
}

/** Step 2: a class-balanced training subset and the first test images, as the options ask. */
function loadData(options: WalkthroughOptions): { train: ImageDataset; test: ImageDataset } {
  const full = loadFashionMnist(options.dataDir ? { dir: options.dataDir } : {});
  const perClass = Math.floor(options.trainImages / full.train.numClasses);
  const train = subset(full.train, balancedSubset(full.train.labels, perClass, options.seed));
  const testCount = Math.min(options.testImages, full.test.length);
  const test = subset(
    full.test,
    Int32Array.from({ length: testCount }, (_, i) => i),
  );
  return { train, test };
}

/** A compact view of one layer's bits: "3" (layer-wise) or "2–5 (mean 3.4)" (kernel-wise). */
function showBits(w: readonly number[]): string {
  if (w.every((b) => b === w[0])) return String(w[0]);
  const mean = w.reduce((s, b) => s + b, 0) / w.length;
  return `${Math.min(...w)}–${Math.max(...w)} (mean ${mean.toFixed(1)})`;
}

function bitsTable(bits: readonly LayerBits[]): string {
  const rows = bits.map((b) => [b.name, showBits(b.w), String(b.a), b.pinned ? 'pinned' : '']);
  const header = ['layer', 'weight bits', 'input bits', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The engine's logits for `images` ([n, ...shape] floats), in eval mode without gradients. */
async function engineLogits(
  model: Module,
  images: Float32Array,
  shape: readonly number[],
): Promise<Float32Array> {
  const n = images.length / shape.reduce((a, b) => a * b, 1);
  model.eval();
  const logits = noGrad(() => scope(() => model.call(tensor(images, [n, ...shape]))));
  try {
    return Float32Array.from(await logits.data());
  } finally {
    logits.dispose();
  }
}

/** Runs the walkthrough; prints progress with `log` and returns what it measured. */
export async function runWalkthrough(
  options: WalkthroughOptions,
  log: Log = console.log,
): Promise<WalkthroughResult> {
  // ── 1. Backend ─────────────────────────────────────────────────────────────────────────────
  // Every tensor created from here on lives on this backend; ops record their gradients on a
  // tape and run the same kernels (WGSL on WebGPU, their exact CPU twins on the CPU).
  const backend = await pickBackend(options.backend, log);
  setBackend(backend);
  log(`backend: ${backend.name} (${backend.description})`);

  // ── 2. Data ────────────────────────────────────────────────────────────────────────────────
  const data = loadData(options);
  const inputShape = [...data.train.shape]; // [1, 28, 28]
  log(
    `data: Fashion-MNIST, ${data.train.length} training images (balanced), ${data.test.length} test images`,
  );
  // Loaders turn uint8 pixels into [0, 1] float batches on the backend; the order of epoch e
  // depends only on (seed, e), so a run is reproducible.
  const trainLoader = new DataLoader(data.train, { batchSize: options.batchSize, seed: options.seed });
  const testLoader = new DataLoader(data.test, { batchSize: 256, shuffle: false });

  // ── 3. Float model and pre-training ────────────────────────────────────────────────────────
  // FracBits starts from a trained float model (FRACBITS.md §4).
  const model = createModel(options.model, {
    numClasses: 10,
    inputSize: data.train.shape,
    seed: options.seed,
  });
  if (options.pretrainEpochs > 0) {
    const lr = 0.05;
    const optimizer = new SGD(splitDecay(model, 5e-4), { lr, momentum: 0.9, nesterov: true });
    const schedule = new CosineSchedule({
      baseLr: lr,
      totalSteps: options.pretrainEpochs * trainLoader.length,
    });
    for (let epoch = 0; epoch < options.pretrainEpochs; epoch++) {
      const started = Date.now();
      const r = await trainEpoch(model, trainLoader, optimizer, { epoch, schedule });
      const seconds = (Date.now() - started) / 1000;
      log(
        `float epoch ${epoch + 1}/${options.pretrainEpochs}: loss ${r.loss.toFixed(4)} (${seconds.toFixed(1)} s)`,
      );
    }
  }
  const floatAccuracy = (await evaluate(model, testLoader)).accuracy;
  log(`float ${options.model}: test accuracy ${percent(floatAccuracy)}`);

  // ── 4. FracBits ────────────────────────────────────────────────────────────────────────────
  // The budget: no more BitOps than the same network with every searchable layer at W b / A b
  // (the first conv stays W8 on an 8-bit image, the last linear W8: FRACBITS.md §2). BitOps are
  // counted in MBitOps so that κ = 1 makes the penalty matter on a model this small (§3).
  const costModel = bitopsModel({ unit: 'MBitOps' });
  const logEvent = (e: FracBitsEvent) => {
    if (e.type === 'epoch') {
      log(
        `${e.stage} epoch ${e.epoch + 1}/${options.epochs}: loss ${e.loss.toFixed(4)}, ` +
          `cost ${e.cost.toFixed(3)} MBitOps (${percent(e.ratio)} of the budget)`,
      );
    } else if (e.type === 'discretize') {
      const d = e.result;
      log(
        `discretised: offset ${d.offset.toFixed(3)}, ${d.moves.length} single-layer moves, ` +
          `integer cost ${percent(d.ratio)} of the budget${d.inBand ? '' : ' (no single-bit move reached ±1 %)'}`,
      );
    } else if (e.type === 'eval') {
      log(`${EVAL_LABELS[e.stage]}: test accuracy ${percent(e.accuracy)}`);
    }
  };
  const result = await runFracBits({
    model,
    inputShape,
    trainLoader,
    testLoader,
    budget: { costModel, target: { kind: 'uniform', bits: options.budgetBits }, kappa: 1 },
    targetBits: options.budgetBits, // every λ starts at b + 0.5
    granularity: options.granularity,
    bitsRange: [2, 8],
    epochs: options.epochs,
    optimizer: { lr: 0.01 },
    onEvent: logEvent,
  });

  // ── 5. The bits it found ───────────────────────────────────────────────────────────────────
  log(`\nper-layer bits (budget: uniform ${options.budgetBits}-bit BitOps, ${options.granularity}-wise):`);
  log(bitsTable(result.bits));
  log(
    `cost ${result.cost.toFixed(3)} of ${result.target.toFixed(3)} MBitOps (${percent(result.ratio)}), ` +
      `accuracy ${percent(result.accuracy)} (float ${percent(floatAccuracy)})\n`,
  );

  // ── 6. Export ──────────────────────────────────────────────────────────────────────────────
  const out = resolve(options.outDir);
  mkdirSync(out, { recursive: true });
  const name = `${options.model}-w${options.budgetBits}-${options.granularity}`;
  const metadata = {
    accuracy: result.accuracy,
    mbitops: result.cost,
    budget: `bitops=uniform:${options.budgetBits}`,
  };

  // ONNX with QuantizeLinear/DequantizeLinear: integer weights at (about) their bit-widths, PACT
  // activations as Clip + QDQ. Runs in onnxruntime and other ONNX runtimes.
  const onnx = await exportOnnxQdq(result.model, { inputShape, metadata });
  const onnxPath = join(out, `${name}.onnx`);
  writeFileSync(onnxPath, onnx.bytes);
  log(
    `wrote ${onnxPath} (${onnx.bytes.length} bytes; ${onnx.packedBytes} bytes of weights at their exact bit-widths)`,
  );

  // The packed format (.fbpk) stores every weight code at exactly its bit-width (per output
  // channel), for @fracbits/packed's integer WebGPU runtime.
  const packedBytes = await exportPacked(result.model, { inputShape, metadata });
  const packedPath = join(out, `${name}.fbpk`);
  writeFileSync(packedPath, packedBytes);
  log(`wrote ${packedPath} (${packedBytes.length} bytes)`);

  // ── 7. Run the packed model ────────────────────────────────────────────────────────────────
  // The reader validates the whole file (schema, shapes, CRC) before anything runs. Inference
  // uses integer dot products on the GPU; on the CPU backend, its exact CPU twin.
  const packed = readPackedModel(packedBytes);
  const images = Float32Array.from(data.test.images, (p) => p / 255); // what the loader feeds: [0, 1]
  let runtime: string;
  let infer: (batch: Float32Array) => Float32Array | Promise<Float32Array>;
  let release = () => {};
  if (backend.name === 'webgpu') {
    const { nodeGpu } = await import('@fracbits/webgpu/node');
    const device = (backend as unknown as { device: GPUDevice }).device;
    const gpuModel = await loadPackedModel(packed, device, {
      wgslLanguageFeatures: nodeGpu().wgslLanguageFeatures,
    });
    runtime = `WebGPU (${gpuModel.variant} kernels)`;
    infer = (b) => gpuModel.infer(b);
    release = () => gpuModel.dispose();
  } else {
    runtime = 'CPU twin';
    infer = (b) => inferCpu(packed, b);
  }
  const packedAccuracy = (await evaluateAccuracy(infer, images, data.test.labels)).accuracy;
  // The file must compute what the engine trained: compare logits on the first test images.
  const perImage = inputShape.reduce((a, b) => a * b, 1);
  const sample = images.subarray(0, Math.min(256, data.test.length) * perImage);
  const [fromFile, fromEngine] = [await infer(sample), await engineLogits(result.model, sample, inputShape)];
  release();
  let maxLogitDiff = 0;
  let maxLogit = 0;
  fromEngine.forEach((v, i) => {
    maxLogitDiff = Math.max(maxLogitDiff, Math.abs(v - fromFile[i]));
    maxLogit = Math.max(maxLogit, Math.abs(v));
  });
  log(
    `packed model on ${runtime}: test accuracy ${percent(packedAccuracy)} (engine: ${percent(result.accuracy)})`,
  );
  log(
    `packed vs engine logits: max |difference| ${maxLogitDiff.toExponential(2)} (largest logit ${maxLogit.toFixed(2)})`,
  );

  const summary: WalkthroughResult = {
    backend: backend.name,
    trainImages: data.train.length,
    testImages: data.test.length,
    floatAccuracy,
    fracbits: {
      accuracy: result.accuracy,
      fractionalAccuracy: result.fractionalAccuracy,
      cost: result.cost,
      budget: result.target,
      ratio: result.ratio,
      bits: result.bits.map((b) => ({ layer: b.name, w: b.w.length === 1 ? b.w[0] : [...b.w], a: b.a })),
    },
    packed: { accuracy: packedAccuracy, runtime, bytes: packedBytes.length, maxLogitDiff, maxLogit },
    onnx: { bytes: onnx.bytes.length, weightBytes: onnx.weightBytes, packedBytes: onnx.packedBytes },
    files: { onnx: onnxPath, packed: packedPath, summary: join(out, 'summary.json') },
  };
  writeFileSync(summary.files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  log(`wrote ${summary.files.summary}`);
  return summary;
}
