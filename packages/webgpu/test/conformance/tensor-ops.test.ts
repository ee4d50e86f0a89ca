import { it } from 'vitest';
import { describeGpu, gpu } from '../gpu.js';
import { checkCase } from './harness.js';
import { tensorOpCases } from './tensor-ops.cases.js';

describeGpu('conformance: reductions, layout, softmax, losses, indexing (cpu vs webgpu)', () => {
  it.each(tensorOpCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await checkCase(gpu!, c);
  });
});
