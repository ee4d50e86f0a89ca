/** Adapter description and feature helpers (browser-safe). */

/** Features requested by default when the adapter has them (kernels check what they need). */
export const OPTIONAL_FEATURES: readonly GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

/** Whether an adapter is a CPU implementation (lavapipe / llvmpipe, SwiftShader, WARP). */
export function isSoftwareAdapter(
  info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>,
): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|warp|software/.test(text);
}

/**
 * One line naming the adapter, e.g.
 * `lavapipe (Vulkan on CPU): llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) [vendor mesa, architecture software, device llvmpipe-…]`.
 * Mesa's Vulkan CPU driver (lavapipe) reports itself as "llvmpipe"; both words are kept so that
 * either is recognisable in logs and benchmark tables.
 */
export function describeAdapter(
  info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>,
): string {
  const fields = [
    info.vendor && `vendor ${info.vendor}`,
    info.architecture && `architecture ${info.architecture}`,
    info.device && `device ${info.device}`,
  ].filter(Boolean);
  const main = info.description || info.device || info.vendor || 'unknown WebGPU adapter';
  const lavapipe = /llvmpipe/i.test(`${info.description} ${info.device}`) ? 'lavapipe (Vulkan on CPU): ' : '';
  return `${lavapipe}${main}${fields.length > 0 ? ` [${fields.join(', ')}]` : ''}`;
}
