#!/usr/bin/env node
// Runs a run directory's exported QDQ ONNX model in onnxruntime-node on the first N Fashion-MNIST
// test images and compares it with our engine's eval-mode output of the run's integer model.
// Usage: node scripts/results/onnx-agreement.mjs <run dir> [N=1000]   (after `pnpm build`)
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const requireFromExport = createRequire(join(root, 'packages/export/package.json'));
const ort = requireFromExport('onnxruntime-node');
const { createRegistry } = await import(join(root, 'packages/runner/dist/index.js'));
const { loadRunModel } = await import(join(root, 'packages/runner/dist/node.js'));
const { tensor, noGrad, scope } = await import(join(root, 'packages/tensor/dist/index.js'));

const [runDir, nText = '1000'] = process.argv.slice(2);
if (!runDir) throw new Error('usage: onnx-agreement.mjs <run dir> [N]');
const n = Number(nText);
const loaded = await loadRunModel(runDir, createRegistry());
loaded.model.eval();
const test = loaded.data.test;
const [c, h, w] = test.shape;
const per = c * h * w;
const images = new Float32Array(n * per);
for (let i = 0; i < images.length; i++) images[i] = test.images[i] / 255;

const ours = noGrad(() =>
  scope(() =>
    loaded.model
      .call(tensor(images, [n, c, h, w]))
      .dataSync()
      .slice(),
  ),
);
const onnxFile = join(runDir, 'exports', `${loaded.config.model}-fracbits.onnx`);
const session = await ort.InferenceSession.create(onnxFile);
const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', images, [n, c, h, w]) });
const theirs = out[session.outputNames[0]].data;
const classes = ours.length / n;
let same = 0;
let maxDiff = 0;
let correctOurs = 0;
let correctOrt = 0;
const argmax = (a, o) => {
  let best = 0;
  for (let k = 1; k < classes; k++) if (a[o + k] > a[o + best]) best = k;
  return best;
};
for (let i = 0; i < n; i++) {
  const a = argmax(ours, i * classes);
  const b = argmax(theirs, i * classes);
  if (a === b) same++;
  if (a === test.labels[i]) correctOurs++;
  if (b === test.labels[i]) correctOrt++;
  for (let k = 0; k < classes; k++)
    maxDiff = Math.max(maxDiff, Math.abs(ours[i * classes + k] - theirs[i * classes + k]));
}
console.log(
  JSON.stringify({
    runDir,
    onnxFile,
    images: n,
    top1Agreement: same / n,
    maxAbsLogitDiff: maxDiff,
    accuracyEngine: correctOurs / n,
    accuracyOnnxruntime: correctOrt / n,
  }),
);
