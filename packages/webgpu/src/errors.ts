/** Error helpers: every error the backend raises names the kernel (or batch) it came from. */
import type { Defines } from '@fracbits/kernels';

/**
 * What went wrong: a pipeline the GPU rejected (shader compilation), a submitted batch that failed
 * validation, an error outside both, a lost device, or a launch the backend refused up front.
 */
export type WebGpuErrorKind = 'pipeline' | 'batch' | 'uncaptured' | 'lost' | 'usage';

/** An error raised by the GPU (validation, out-of-memory, internal) or by a lost device. */
export class WebGpuError extends Error {
  constructor(
    message: string,
    /** Kernel names involved: the one that failed, or every kernel of the failing batch. */
    readonly kernels: readonly string[] = [],
    readonly kind: WebGpuErrorKind = 'uncaptured',
  ) {
    super(message);
    this.name = 'WebGpuError';
  }
}

/** `name {op: relu}`: a kernel with the defines it was launched with, for messages. */
export function kernelLabel(name: string, defines: Defines): string {
  const entries = Object.entries(defines);
  if (entries.length === 0) return name;
  return `${name} {${entries.map(([k, v]) => `${k}: ${String(v)}`).join(', ')}}`;
}

/**
 * The compiler's messages with the offending WGSL lines, for shader errors. Dawn's message
 * already quotes the line, but only of the first error; this lists them all.
 */
export async function compilationDetails(module: GPUShaderModule, code: string): Promise<string> {
  let info: GPUCompilationInfo;
  try {
    info = await module.getCompilationInfo();
  } catch {
    return '';
  }
  const lines = code.split('\n');
  const parts = info.messages
    .filter((m) => m.type === 'error')
    .map((m) => {
      const where = m.lineNum > 0 ? `line ${m.lineNum}:${m.linePos}` : 'shader';
      const src = m.lineNum > 0 ? `\n    ${lines[m.lineNum - 1]?.trim() ?? ''}` : '';
      return `  ${where}: ${m.message}${src}`;
    });
  return parts.length > 0 ? `\nWGSL errors:\n${parts.join('\n')}` : '';
}
