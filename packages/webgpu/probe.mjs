import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const code = `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct P { n: u32 }
@group(0) @binding(2) var<uniform> params: P;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { if (g.x < params.n) { y[g.x] = x[g.x] + 1.0; } }`;
const m = device.createShaderModule({ code });
const bgl = device.createBindGroupLayout({ entries: [
  { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
  { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
  { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
]});
const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [bgl] }), compute: { module: m, entryPoint: 'main' } });
const N = 64;
const bufs = Array.from({ length: 8 }, () => device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }));
const uni = device.createBuffer({ size: 256 * 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const u = new Uint32Array(64 * 256 / 4); for (let i = 0; i < 256; i++) u[i * 64] = N;
device.queue.writeBuffer(uni, 0, u);
async function run(D, batch, reuse) {
  const cached = device.createBindGroup({ layout: bgl, entries: [{ binding: 0, resource: { buffer: bufs[0] } }, { binding: 1, resource: { buffer: bufs[1] } }, { binding: 2, resource: { buffer: uni, size: 16 } }] });
  const t0 = performance.now();
  let enc = device.createCommandEncoder(); let pass = enc.beginComputePass(); let k = 0;
  let tbg = 0;
  for (let i = 0; i < D; i++) {
    const a = bufs[i % 4], b = bufs[4 + (i % 4)];
    const t1 = performance.now();
    const bg = reuse ? cached : device.createBindGroup({ layout: bgl, entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: b } }, { binding: 2, resource: { buffer: uni, size: 16 } }] });
    tbg += performance.now() - t1;
    pass.setPipeline(pipeline); pass.setBindGroup(0, bg, [(k % 256) * 256]); pass.dispatchWorkgroups(1);
    if (++k === batch) { pass.end(); device.queue.submit([enc.finish()]); enc = device.createCommandEncoder(); pass = enc.beginComputePass(); k = 0; }
  }
  pass.end(); device.queue.submit([enc.finish()]);
  const t2 = performance.now();
  await device.queue.onSubmittedWorkDone();
  const t3 = performance.now();
  console.log(`D=${D} batch=${batch} reuse=${reuse}: record ${(t2-t0).toFixed(1)}ms (bindgroup ${tbg.toFixed(1)}) total ${(t3-t0).toFixed(1)}ms => ${((t3-t0)/D*1000).toFixed(1)} us/dispatch`);
}
for (const batch of [1, 16, 64, 256]) for (const reuse of [false, true]) await run(2000, batch, reuse);
// round trip
let t0 = performance.now();
for (let i = 0; i < 100; i++) { device.queue.submit([]); await device.queue.onSubmittedWorkDone(); }
console.log('empty submit+wait', ((performance.now() - t0) / 100 * 1000).toFixed(0), 'us');
