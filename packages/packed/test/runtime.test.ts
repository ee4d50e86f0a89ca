/**
 * The packed runtimes against an independent float64 fake-quant reference (test/models.ts), and
 * the WebGPU runtime (both variants) against the CPU twin runtime, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  evaluateAccuracy,
  inferCpu,
  loadPackedModel,
  type PackedModelSpec,
  readPackedModel,
  writePackedModel,
} from '../src/index.js';
import { createNodeDevice, loadPackedModelNode, type NodeDevice } from '../src/node.js';
import { argmax, lenet5, randomImages, referenceForward, residualNet, smallCnn } from './models.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);

async function openDevice(): Promise<NodeDevice | null> {
  try {
    return await createNodeDevice();
  } catch (err) {
    if (inCi)
      throw new Error(`packed runtime GPU tests need Dawn and an adapter in CI: ${(err as Error).message}`);
    return null;
  }
}

const gpu = await openDevice();

function referenceLogits(spec: PackedModelSpec, images: Float32Array, count: number): Float64Array[] {
  const per = images.length / count;
  return Array.from({ length: count }, (_, i) =>
    referenceForward(spec, Float64Array.from(images.subarray(i * per, (i + 1) * per))),
  );
}

/** Fraction of samples whose top-1 class agrees, and the largest logit difference. */
function compare(logits: Float32Array, reference: Float64Array[]) {
  const classes = reference[0].length;
  const predicted = argmaxRows(logits, classes);
  let agree = 0;
  let maxDiff = 0;
  let maxRef = 0;
  reference.forEach((ref, i) => {
    if (predicted[i] === argmax(ref)) agree++;
    for (let c = 0; c < classes; c++) {
      maxDiff = Math.max(maxDiff, Math.abs(logits[i * classes + c] - ref[c]));
      maxRef = Math.max(maxRef, Math.abs(ref[c]));
    }
  });
  return { agreement: agree / reference.length, maxDiff, maxRef };
}

describe('CPU twin runtime vs the float fake-quant reference', () => {
  it('small CNN (conv-relu-pool-conv-relu-pool-fc-relu-fc, mixed bits): top-1 agrees on ≥ 99.9 % of 2000 inputs', () => {
    const spec = smallCnn();
    const model = readPackedModel(writePackedModel(spec));
    const count = 2000;
    const images = randomImages(count, 144, 7);
    const logits = inferCpu(model, images);
    const { agreement, maxDiff, maxRef } = compare(logits, referenceLogits(spec, images, count));
    expect(agreement).toBeGreaterThanOrEqual(0.999);
    // Logits differ only where float32 rounding moved an activation across a quantization step.
    expect(maxDiff).toBeLessThan(0.05 * maxRef);
  });

  it('residual net (bn, depthwise with 0-bit channels, add, avg pool): top-1 agrees on ≥ 99.9 % of 1000 inputs', () => {
    const spec = residualNet();
    const count = 1000;
    const images = randomImages(count, 147, 8);
    const logits = inferCpu(writePackedModel(spec), images);
    expect(compare(logits, referenceLogits(spec, images, count)).agreement).toBeGreaterThanOrEqual(0.999);
  });

  it('dot4 and float variants give identical outputs, and batching does not change them', () => {
    const model = readPackedModel(writePackedModel(smallCnn(5)));
    const images = randomImages(7, 144, 9);
    const dot4 = inferCpu(model, images, { variant: 'dot4' });
    expect(Array.from(inferCpu(model, images, { variant: 'float' }))).toEqual(Array.from(dot4));
    const one = Array.from({ length: 7 }, (_, i) =>
      Array.from(inferCpu(model, images.subarray(i * 144, (i + 1) * 144))),
    );
    expect(one.flat()).toEqual(Array.from(dot4));
  });

  it('evaluateAccuracy batches the inputs and counts top-1 matches', async () => {
    const spec = smallCnn();
    const model = readPackedModel(writePackedModel(spec));
    const count = 300;
    const images = randomImages(count, 144, 10);
    const labels = referenceLogits(spec, images, count).map(argmax);
    const seen: number[] = [];
    const result = await evaluateAccuracy((b) => inferCpu(model, b), images, labels, {
      batchSize: 64,
      onProgress: (done) => seen.push(done),
    });
    expect(seen).toEqual([64, 128, 192, 256, 300]);
    expect(result.total).toBe(count);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.99);
    const wrong = labels.map((l) => (l + 1) % 10);
    expect((await evaluateAccuracy((b) => inferCpu(model, b), images, wrong)).correct).toBeLessThan(5);
  });

  it('rejects a batch that is not whole samples, naming the function', () => {
    const model = readPackedModel(writePackedModel(smallCnn()));
    expect(() => inferCpu(model, new Float32Array(145))).toThrow(
      /inferCpu: the batch has 145 floats, not a positive multiple of the 144 of one \[1, 12, 12\] sample/,
    );
    expect(() => argmaxRows(new Float32Array(7), 2)).toThrow(
      /argmaxRows: 7 logits are not rows of 2 classes/,
    );
  });
});

describe.skipIf(!gpu)('WebGPU runtime equals the CPU twin runtime bit for bit', () => {
  const device = gpu?.device as GPUDevice;

  for (const [name, spec, per] of [
    ['small CNN', smallCnn(), 144],
    ['residual net', residualNet(), 147],
    ['LeNet-5, mixed bits', lenet5('mixed'), 784],
  ] as const) {
    for (const variant of ['dot4', 'float'] as const) {
      it(`${name}, ${variant} variant, batches of 1, 5 and 33`, async () => {
        const model = readPackedModel(writePackedModel(spec));
        const runtime = await loadPackedModel(model, device, { variant, maxPlans: 2 });
        expect(runtime.variant).toBe(variant);
        for (const [n, seed] of [
          [1, 11],
          [5, 12],
          [33, 13],
          [5, 14],
        ]) {
          const images = randomImages(n, per, seed);
          const out = await runtime.infer(images);
          expect(Array.from(out), `batch ${n}`).toEqual(Array.from(inferCpu(model, images)));
        }
        runtime.dispose();
        await expect(runtime.infer(randomImages(1, per, 1))).rejects.toThrow(/infer\(\) after dispose\(\)/);
      });
    }
  }

  it('auto picks dot4 when the adapter reports packed_4x8_integer_dot_product, float otherwise', async () => {
    const file = writePackedModel(smallCnn());
    const features = gpu!.wgslLanguageFeatures;
    const auto = await loadPackedModel(file, device, { wgslLanguageFeatures: features });
    expect(auto.variant).toBe(features.has('packed_4x8_integer_dot_product') ? 'dot4' : 'float');
    auto.dispose();
    const without = await loadPackedModel(file, device, { wgslLanguageFeatures: new Set() });
    expect(without.variant).toBe('float');
    without.dispose();
  });

  it('loadPackedModelNode creates its own Dawn device and frees it on dispose', async () => {
    const file = writePackedModel(residualNet());
    const runtime = await loadPackedModelNode(file, { variant: 'float' });
    const images = randomImages(3, 147, 16);
    expect(Array.from(await runtime.infer(images))).toEqual(
      Array.from(inferCpu(readPackedModel(file), images)),
    );
    runtime.dispose();
    await expect(loadPackedModelNode(file.subarray(0, 20))).rejects.toThrow(/readPackedModel: /);
  });

  it('serialises concurrent infer calls and evaluates accuracy on the GPU', async () => {
    const spec = smallCnn();
    const runtime = await loadPackedModel(writePackedModel(spec), device, { variant: 'dot4' });
    const images = randomImages(200, 144, 15);
    const [a, b] = await Promise.all([
      runtime.infer(images.subarray(0, 144 * 3)),
      runtime.infer(images.subarray(0, 144 * 3)),
    ]);
    expect(Array.from(a)).toEqual(Array.from(b));
    const labels = referenceLogits(spec, images, 200).map(argmax);
    const result = await evaluateAccuracy((x) => runtime.infer(x), images, labels, { batchSize: 64 });
    expect(result.accuracy).toBeGreaterThanOrEqual(0.99);
    await expect(runtime.infer(new Float32Array(10))).rejects.toThrow(/infer: the batch has 10 floats/);
    runtime.dispose();
  });
});
