/** Hand-written kernel descriptors for backend tests (valid and deliberately broken ones). */
import { defineKernel, type KernelDescriptor, linearDispatch, type ShaderSource } from '@fracbits/kernels';

export function shader(name: string, source: string, extra: Partial<ShaderSource> = {}): ShaderSource {
  return {
    name,
    entryPoint: 'main',
    bindings: [
      { name: 'x', access: 'read', elem: 'f32' },
      { name: 'y', access: 'read_write', elem: 'f32' },
    ],
    params: [{ name: 'n', type: 'u32' }],
    workgroupSize: ['64', '1', '1'],
    features: [],
    defines: {},
    source,
    ...extra,
  };
}

const ADD_ONE = `
@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG_X;
  if (i >= params.n) { return; }
  y[i] = x[i] + 1.0;
}`;

/** y = x + 1 */
export const addOne: KernelDescriptor = defineKernel(shader('test/add_one', ADD_ONE), {
  dispatch: (p) => linearDispatch(p.n, 64),
  cpu: ([x, y], p) => {
    for (let i = 0; i < p.n; i++) y[i] = x[i] + 1;
  },
});

/** Does not compile. */
export const broken: KernelDescriptor = defineKernel(shader('test/broken', 'fn main( { let = ; }'), {
  dispatch: () => [1, 1, 1],
  cpu: () => {},
});

/** Needs a feature no device has. */
export const needsFeature: KernelDescriptor = defineKernel(
  shader('test/needs_feature', ADD_ONE, { features: ['no-such-feature'] }),
  {
    dispatch: (p) => linearDispatch(p.n, 64),
    cpu: () => {},
  },
);

/** Asks for more workgroups than a dimension allows. */
export const tooWide: KernelDescriptor = defineKernel(shader('test/too_wide', ADD_ONE), {
  dispatch: () => [70000, 1, 1],
  cpu: () => {},
});
