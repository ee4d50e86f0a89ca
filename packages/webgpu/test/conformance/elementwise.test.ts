import { it } from 'vitest';
import { describeGpu, gpu } from '../gpu.js';
import { elementwiseCases } from './elementwise.cases.js';
import { checkCase } from './harness.js';

describeGpu('conformance: elementwise (cpu vs webgpu)', () => {
  it.each(elementwiseCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    await checkCase(gpu!, c);
  });
});
