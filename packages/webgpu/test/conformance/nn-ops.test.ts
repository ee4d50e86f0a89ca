import { it } from 'vitest';
import { describeGpu, gpu } from '../gpu.js';
import { checkCase } from './harness.js';
import { nnOpCases } from './nn-ops.cases.js';

describeGpu('conformance: matmul, conv2d, pooling, batch norm (cpu vs webgpu)', () => {
  it.each(nnOpCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await checkCase(gpu!, c);
  });
});
