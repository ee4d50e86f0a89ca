/**
 * Kernel descriptors: a WGSL shader (from `shaders/`, parsed at build time) plus the TypeScript
 * that makes it usable — how to specialise its template, how many workgroups to dispatch, and a
 * CPU twin that computes exactly the same result on CPU arrays.
 *
 * A descriptor knows nothing about tensors or backends: anyone with a `GPUDevice` can instantiate
 * it (see `instantiate` and `packParams`), and the CPU reference backend runs its `cpu` twin.
 */

export type ScalarType = 'u32' | 'i32' | 'f32';

/** A storage binding's element: a scalar, or vec4f (16-byte loads; the CPU twin still sees f32s). */
export type BindingElem = ScalarType | 'vec4f';

export interface BindingInfo {
  readonly name: string;
  readonly access: 'read' | 'read_write';
  readonly elem: BindingElem;
}

export interface ParamInfo {
  readonly name: string;
  readonly type: ScalarType;
}

/** What the build step extracts from one `.wgsl` file (see shaders/README.md). */
export interface ShaderSource {
  readonly name: string;
  readonly entryPoint: string;
  readonly bindings: readonly BindingInfo[];
  readonly params: readonly ParamInfo[];
  /** Workgroup size; each entry is a number or the name of a define. */
  readonly workgroupSize: readonly [string, string, string];
  readonly features: readonly string[];
  /** Template variables with their default values. */
  readonly defines: Readonly<Record<string, string>>;
  /** The WGSL body, header lines removed. */
  readonly source: string;
}

export type CpuBuffer = Float32Array | Int32Array | Uint32Array;
export type Defines = Readonly<Record<string, string | number | boolean>>;
export type Params = Readonly<Record<string, number>>;

export interface KernelDescriptor {
  readonly name: string;
  readonly shader: ShaderSource;
  /**
   * Turns launch-level defines (e.g. `{ op: 'relu' }`) into template values substituted into the
   * WGSL (e.g. `{ EXPR: 'max(x, 0.0)' }`). Values not returned fall back to the shader defaults.
   */
  specialize(defines: Defines): Record<string, string>;
  /** Number of workgroups for a launch with these params. */
  dispatch(params: Params, defines: Defines): [number, number, number];
  /** The CPU twin: same inputs (buffers in binding order), same outputs, same math. */
  cpu(buffers: CpuBuffer[], params: Params, defines: Defines): void;
  /** Features the adapter must have (from the shader header plus any the defines add). */
  features(defines: Defines): readonly string[];
  /**
   * Optional: a faster variant for this launch (same bindings order, params and results), chosen
   * from the device's features; backends that run WGSL call it, the CPU backend ignores it.
   */
  variant?(params: Params, defines: Defines, device: KernelDevice): KernelDescriptor;
}

/** What `variant` may ask of a device. */
export interface KernelDevice {
  hasFeature(feature: string): boolean;
}

export interface KernelSpec {
  specialize?: (defines: Defines) => Record<string, string>;
  dispatch: (params: Params, defines: Defines) => [number, number, number];
  cpu: (buffers: CpuBuffer[], params: Params, defines: Defines) => void;
  features?: (defines: Defines) => readonly string[];
  variant?: (params: Params, defines: Defines, device: KernelDevice) => KernelDescriptor;
}

export function defineKernel(shader: ShaderSource, spec: KernelSpec): KernelDescriptor {
  return {
    name: shader.name,
    shader,
    specialize: spec.specialize ?? (() => ({})),
    dispatch: spec.dispatch,
    cpu: spec.cpu,
    features: (defines) => [...shader.features, ...(spec.features?.(defines) ?? [])],
    ...(spec.variant ? { variant: spec.variant } : {}),
  };
}

/** Largest workgroup count per dimension guaranteed by WebGPU. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Dispatch for a 1-D kernel over `n` items with `perWorkgroup` items per workgroup, folded into a
 * 2-D grid when it exceeds the per-dimension limit. Shaders recover the linear index with
 * `gid.x + gid.y * nwg.x * WG_X` (see shaders/README.md).
 */
export function linearDispatch(n: number, perWorkgroup: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / perWorkgroup));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

export interface InstantiatedShader {
  /** Complete WGSL: generated bindings and params struct, constants, then the body. */
  readonly code: string;
  readonly entryPoint: string;
  readonly workgroupSize: readonly [number, number, number];
  /** A cache key: equal keys mean identical code. */
  readonly key: string;
}

const TEMPLATE_VAR = /\{\{\s*(\w+)\s*\}\}/g;

/** Resolves the template values for a launch: shader defaults overridden by `specialize`. */
export function templateValues(kernel: KernelDescriptor, defines: Defines): Record<string, string> {
  return { ...kernel.shader.defines, ...kernel.specialize(defines) };
}

/**
 * The template step. WGSL bodies use `{{NAME}}` for template variables; this substitutes them,
 * prepends the binding declarations, the `Params` uniform struct and `WG_X/WG_Y/WG_Z` constants.
 */
export function instantiate(kernel: KernelDescriptor, defines: Defines = {}): InstantiatedShader {
  const shader = kernel.shader;
  const values = templateValues(kernel, defines);
  const substitute = (text: string, where: string) =>
    text.replace(TEMPLATE_VAR, (_, name: string) => {
      const v = values[name];
      if (v === undefined)
        throw new Error(`kernel ${shader.name}: template variable {{${name}}} in ${where} has no value`);
      return v;
    });
  const workgroupSize = shader.workgroupSize.map((token) => {
    const resolved = /^\d+$/.test(token) ? token : values[token];
    const n = Number(resolved);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`kernel ${shader.name}: bad workgroup size "${token}"`);
    return n;
  }) as [number, number, number];
  const head: string[] = [];
  const enables = kernel.features(defines);
  if (enables.includes('shader-f16')) head.push('enable f16;');
  if (enables.includes('subgroups')) head.push('enable subgroups;');
  shader.bindings.forEach((b, i) => {
    const access = b.access === 'read' ? 'read' : 'read_write';
    head.push(`@group(0) @binding(${i}) var<storage, ${access}> ${b.name}: array<${b.elem}>;`);
  });
  if (shader.params.length > 0) {
    head.push(`struct Params { ${shader.params.map((p) => `${p.name}: ${p.type},`).join(' ')} }`);
    head.push(`@group(0) @binding(${shader.bindings.length}) var<uniform> params: Params;`);
  }
  head.push(
    `const WG_X: u32 = ${workgroupSize[0]}u;`,
    `const WG_Y: u32 = ${workgroupSize[1]}u;`,
    `const WG_Z: u32 = ${workgroupSize[2]}u;`,
  );
  const code = `${head.join('\n')}\n${substitute(shader.source, 'the body')}`;
  return { code, entryPoint: shader.entryPoint, workgroupSize, key: `${shader.name}|${code}` };
}

/** Size in bytes of the uniform buffer holding a kernel's params (rounded to 16). */
export function paramsByteLength(shader: ShaderSource): number {
  return Math.max(16, Math.ceil((shader.params.length * 4) / 16) * 16);
}

/** Packs launch params into the uniform layout of the generated `Params` struct. */
export function packParams(shader: ShaderSource, params: Params): ArrayBuffer {
  const buffer = new ArrayBuffer(paramsByteLength(shader));
  const view = new DataView(buffer);
  shader.params.forEach((p, i) => {
    const v = params[p.name];
    if (v === undefined || Number.isNaN(v)) {
      throw new Error(`kernel ${shader.name}: missing value for param "${p.name}"`);
    }
    if (p.type === 'f32') view.setFloat32(i * 4, v, true);
    else if (p.type === 'i32') view.setInt32(i * 4, v, true);
    else view.setUint32(i * 4, v, true);
  });
  return buffer;
}
