/**
 * Backend selection in Node: 'cpu' is the reference backend; 'webgpu' requires an adapter (Dawn,
 * through @fracbits/webgpu/node); 'auto' takes WebGPU when an adapter exists and says which.
 */
import { type Backend, CpuBackend } from '@fracbits/tensor';
import type { BackendChoice } from './backend-choice.js';

export interface SelectedBackend {
  readonly backend: Backend;
  /** One line describing the choice, e.g. for `--backend auto`. */
  readonly notice: string;
}

export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === 'cpu') return { backend: new CpuBackend(), notice: 'backend: cpu (TypeScript reference)' };
  const webgpu = await import('@fracbits/webgpu/node');
  if (choice === 'webgpu') {
    const backend = await webgpu.createNodeBackend();
    return { backend, notice: `backend: webgpu (${backend.description})` };
  }
  if (await webgpu.hasWebGpuAdapter()) {
    const backend = await webgpu.createNodeBackend();
    return {
      backend,
      notice: `backend: webgpu (${backend.description}) — auto-selected; --backend cpu for the reference backend`,
    };
  }
  return { backend: new CpuBackend(), notice: 'backend: cpu — no WebGPU adapter found (auto)' };
}
