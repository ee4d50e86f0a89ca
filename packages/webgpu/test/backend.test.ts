import { unaryKernel } from '@fracbits/kernels';
import { expect, it } from 'vitest';
import { bucketBytes, describeAdapter, type WebGpuBackend } from '../src/index.js';
import { describeGpu, gpu } from './gpu.js';
import { addOne, broken, needsFeature, tooWide } from './kernels.js';

const backend = gpu as WebGpuBackend;

function upload(values: number[] | Float32Array) {
  const data = Float32Array.from(values);
  const b = backend.allocate('float32', data.length);
  backend.write(b, data);
  return b;
}

it('buckets sizes in steps of at most 25 %, multiples of 256 bytes', () => {
  expect(bucketBytes(1)).toBe(256);
  expect(bucketBytes(256)).toBe(256);
  expect(bucketBytes(257)).toBe(512);
  expect(bucketBytes(1024)).toBe(1024);
  expect(bucketBytes(1025)).toBe(1280);
  for (let n = 1; n < 5_000_000; n = Math.ceil(n * 1.37) + 3) {
    const b = bucketBytes(n);
    expect(b).toBeGreaterThanOrEqual(n);
    expect(b % 256).toBe(0);
    if (n > 1024) expect(b / n).toBeLessThanOrEqual(1.25);
  }
});

it('describes lavapipe so that both names are recognisable', () => {
  const d = describeAdapter({
    vendor: 'mesa',
    architecture: 'software',
    device: 'llvmpipe-llvm-15',
    description: 'llvmpipe: Mesa 25.0.7',
  });
  expect(d).toContain('lavapipe');
  expect(d).toContain('llvmpipe: Mesa 25.0.7');
  expect(d).toContain('vendor mesa');
});

describeGpu('WebGpuBackend', () => {
  it('reports the adapter', () => {
    expect(backend.name).toBe('webgpu');
    expect(backend.description.length).toBeGreaterThan(5);
    console.info(`adapter: ${backend.description}`);
  });

  it('round-trips every dtype, including empty and odd sizes', async () => {
    for (const n of [0, 1, 3, 63, 64, 65, 1023]) {
      const f = backend.allocate('float32', n);
      const i = backend.allocate('int32', n);
      const u = backend.allocate('uint32', n);
      const fv = Float32Array.from({ length: n }, (_, k) => k * 0.5 - 7.25);
      const iv = Int32Array.from({ length: n }, (_, k) => -k * 1000003);
      const uv = Uint32Array.from({ length: n }, (_, k) => 0xffffffff - k);
      backend.write(f, fv);
      backend.write(i, iv);
      backend.write(u, uv);
      const [rf, ri, ru] = await Promise.all([backend.read(f), backend.read(i), backend.read(u)]);
      expect(rf).toBeInstanceOf(Float32Array);
      expect(ri).toBeInstanceOf(Int32Array);
      expect(ru).toBeInstanceOf(Uint32Array);
      expect([...rf]).toEqual([...fv]);
      expect([...ri]).toEqual([...iv]);
      expect([...ru]).toEqual([...uv]);
      for (const b of [f, i, u]) backend.release(b);
    }
  });

  it('runs a kernel on tails past its workgroup size', async () => {
    for (const n of [1, 2, 63, 64, 65, 127, 1000]) {
      const x = upload(Array.from({ length: n }, (_, k) => k));
      const y = backend.allocate('float32', n);
      backend.launch(addOne, [x, y], { n });
      expect([...(await backend.read(y))]).toEqual(Array.from({ length: n }, (_, k) => k + 1));
      backend.release(x);
      backend.release(y);
    }
  });

  it('folds more than 65535 workgroups into a 2-D grid (linearDispatch)', async () => {
    const n = 65535 * 256 + 77;
    const data = new Float32Array(n);
    for (let k = 0; k < n; k += 4099) data[k] = k % 1000;
    data[n - 1] = -3;
    const x = upload(data);
    const y = backend.allocate('float32', n);
    backend.launch(unaryKernel, [x, y], { n, alpha: 2, beta: 1 }, { op: 'affine' });
    const out = await backend.read(y);
    for (let k = 0; k < n; k += 4099) expect(out[k]).toBe(2 * data[k] + 1);
    expect(out[n - 1]).toBe(-5);
    expect(out[n - 2]).toBe(1);
    backend.release(x);
    backend.release(y);
  });

  it('batches launches into few submits', async () => {
    const before = backend.stats();
    const x = upload([1, 2, 3]);
    let cur = x;
    const made = [];
    for (let k = 0; k < 100; k++) {
      const next = backend.allocate('float32', 3);
      backend.launch(addOne, [cur, next], { n: 3 });
      made.push(next);
      cur = next;
    }
    expect([...(await backend.read(cur))]).toEqual([101, 102, 103]);
    const after = backend.stats();
    const submits = after.submits - before.submits;
    expect(submits).toBeLessThanOrEqual(Math.ceil(100 / backend.maxDispatchesPerSubmit) + 1);
    expect(after.bindGroups.hits).toBeGreaterThanOrEqual(before.bindGroups.hits);
    for (const b of [x, ...made]) backend.release(b);
  });

  it('keeps a write ordered after recorded kernels that read the old contents', async () => {
    const x = upload([1, 2, 3]);
    const y = backend.allocate('float32', 3);
    const z = backend.allocate('float32', 3);
    const ordered = backend.stats().orderedWrites;
    backend.launch(addOne, [x, y], { n: 3 }); // recorded, not submitted
    backend.write(x, Float32Array.of(10, 20, 30));
    backend.launch(addOne, [x, z], { n: 3 });
    expect(backend.stats().orderedWrites).toBe(ordered + 1);
    expect([...(await backend.read(y))]).toEqual([2, 3, 4]);
    expect([...(await backend.read(z))]).toEqual([11, 21, 31]);
    for (const b of [x, y, z]) backend.release(b);
  });

  it('reuses pooled buffers without corrupting pending readers', async () => {
    const x = upload([5, 6, 7, 8]);
    const y = backend.allocate('float32', 4);
    backend.launch(addOne, [x, y], { n: 4 });
    backend.release(x); // still read by the recorded launch
    const x2 = backend.allocate('float32', 4);
    expect(x2.slab).toBe(x.slab); // the pool hands the same buffer back
    backend.write(x2, Float32Array.of(-1, -1, -1, -1));
    const z = backend.allocate('float32', 4);
    backend.launch(addOne, [x2, z], { n: 4 });
    expect([...(await backend.read(y))]).toEqual([6, 7, 8, 9]);
    expect([...(await backend.read(z))]).toEqual([0, 0, 0, 0]);
    for (const b of [x2, y, z]) backend.release(b);
  });

  it('stages a large ordered write by submitting first', async () => {
    const n = 200_000; // larger than the upload arena
    const x = upload(new Float32Array(n).fill(1));
    const y = backend.allocate('float32', n);
    backend.launch(addOne, [x, y], { n });
    backend.write(x, new Float32Array(n).fill(7));
    const z = backend.allocate('float32', n);
    backend.launch(addOne, [x, z], { n });
    const [ry, rz] = await Promise.all([backend.read(y), backend.read(z)]);
    expect(ry.every((v) => v === 2)).toBe(true);
    expect(rz.every((v) => v === 8)).toBe(true);
    for (const b of [x, y, z]) backend.release(b);
  });

  it('copies in order with kernels', async () => {
    const x = upload([1, 2, 3, 4, 5]);
    const y = backend.allocate('float32', 5);
    const z = backend.allocate('float32', 5);
    backend.launch(addOne, [x, y], { n: 5 });
    backend.copy(y, z, 3);
    backend.launch(addOne, [z, y], { n: 5 });
    const rz = await backend.read(z);
    expect([...rz.slice(0, 3)]).toEqual([2, 3, 4]);
    expect([...(await backend.read(y)).slice(0, 3)]).toEqual([3, 4, 5]);
    for (const b of [x, y, z]) backend.release(b);
  });

  it('caches pipelines per kernel and defines', () => {
    const x = upload([1]);
    const y = backend.allocate('float32', 1);
    backend.launch(unaryKernel, [x, y], { n: 1, alpha: 0, beta: 0 }, { op: 'relu' });
    const count = backend.stats().pipelines;
    backend.launch(unaryKernel, [x, y], { n: 1, alpha: 0, beta: 0 }, { op: 'relu' });
    expect(backend.stats().pipelines).toBe(count);
    backend.launch(unaryKernel, [x, y], { n: 1, alpha: 0, beta: 0 }, { op: 'abs' });
    expect(backend.stats().pipelines).toBe(count + 1);
    backend.release(x);
    backend.release(y);
  });

  it('rejects bad launches with errors naming the kernel', () => {
    const x = upload([1]);
    const y = backend.allocate('float32', 1);
    expect(() => backend.launch(addOne, [x], { n: 1 })).toThrow(/test\/add_one: expected 2 buffers/);
    expect(() => backend.launch(addOne, [x, x], { n: 1 })).toThrow(/test\/add_one.*writable aliasing/);
    expect(() => backend.launch(addOne, [x, y], {})).toThrow(/test\/add_one.*missing value for param "n"/);
    expect(() => backend.launch(needsFeature, [x, y], { n: 1 })).toThrow(
      /test\/needs_feature.*"no-such-feature"/,
    );
    expect(() => backend.launch(tooWide, [x, y], { n: 1 })).toThrow(
      /test\/too_wide: dispatch \[70000, 1, 1\] is invalid/,
    );
    backend.release(x);
    expect(() => backend.launch(addOne, [x, y], { n: 1 })).toThrow(
      /add_one: the buffer was already released/,
    );
    expect(() => backend.release(x)).toThrow(/already released/);
    backend.release(y);
  });

  it('reports shader compilation errors with the kernel name and the WGSL message', async () => {
    await expect(backend.compile(broken)).rejects.toThrow(
      /kernel test\/broken: pipeline creation failed[\s\S]*error/,
    );
    const x = upload([1]);
    const y = backend.allocate('float32', 1);
    backend.launch(broken, [x, y], { n: 1 });
    // The rejected pipeline (the cause) is reported before the batch that used it.
    await expect(backend.sync()).rejects.toThrow(
      /^(\d+ WebGPU errors before sync:\n- )?kernel test\/broken: pipeline creation failed/,
    );
    // Once rejected, the pipeline's error is thrown by every later launch, before recording.
    expect(() => backend.launch(broken, [x, y], { n: 1 })).toThrow(
      /kernel test\/broken: pipeline creation failed/,
    );
    // The error was reported once; the backend keeps working.
    backend.launch(addOne, [x, y], { n: 1 });
    expect([...(await backend.read(y))]).toEqual([2]);
    backend.release(x);
    backend.release(y);
  });

  it('profiles GPU time per kernel with timestamp queries', async () => {
    if (!backend.hasFeature('timestamp-query')) return;
    const x = upload(Array.from({ length: 300 }, (_, k) => k));
    const y = backend.allocate('float32', 300);
    backend.profile(true);
    for (let k = 0; k < 5; k++) backend.launch(addOne, [x, y], { n: 300 });
    backend.launch(unaryKernel, [y, x], { n: 300, alpha: 0, beta: 0 }, { op: 'relu' });
    backend.profile(false);
    backend.launch(addOne, [x, y], { n: 300 }); // not profiled
    const report = await backend.profileReport();
    expect(report.map((r) => [r.kernel, r.count]).sort()).toEqual([
      ['elementwise/unary {op: relu}', 1],
      ['test/add_one', 5],
    ]);
    for (const r of report) expect(r.ms).toBeGreaterThanOrEqual(0);
    // Profiling records one pass per dispatch but computes the same results.
    expect([...(await backend.read(y))].slice(0, 3)).toEqual([2, 3, 4]); // relu(k + 1) + 1
    backend.release(x);
    backend.release(y);
  });

  it('compiles every kernel of @fracbits/kernels it is given', async () => {
    await backend.compile(unaryKernel, { op: 'powScalar' });
  });
});
