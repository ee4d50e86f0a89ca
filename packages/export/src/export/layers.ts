/**
 * Node patterns shared by the float and the QDQ writers: a convolution or a linear layer given
 * the names of its (float or dequantized) weight and bias values.
 */
import type { LayerGeometry } from '@fracbits/nn';
import { attr } from '../proto/builder.js';
import type { OnnxValue, WriteContext } from './writer.js';

/** Conv with nn's geometry (symmetric padding). */
export function convNode(
  ctx: WriteContext,
  name: string,
  input: OnnxValue,
  g: LayerGeometry,
  weight: string,
  bias: string | null,
  outShape: readonly number[],
): OnnxValue {
  return ctx.op('Conv', bias ? [input.name, weight, bias] : [input.name, weight], outShape, name, [
    attr.ints('kernel_shape', g.kernel),
    attr.ints('strides', g.stride),
    attr.ints('pads', [g.padding[0], g.padding[1], g.padding[0], g.padding[1]]),
    attr.ints('dilations', g.dilation),
    attr.int('group', g.groups),
  ]);
}

/** The weight of a linear layer: W [out, in], or Wᵀ [in, out] when already transposed. */
export type LinearWeight = { readonly weight: string } | { readonly transposed: string };

/**
 * y = x·Wᵀ + b: Gemm (transB) for matrices; MatMul with Wᵀ (plus Add) for inputs of higher rank,
 * transposing W with a node if only W is given.
 */
export function linearNode(
  ctx: WriteContext,
  name: string,
  input: OnnxValue,
  w: LinearWeight,
  bias: string | null,
  outShape: readonly number[],
): OnnxValue {
  const [inFeatures, outFeatures] = [input.shape[input.shape.length - 1], outShape[outShape.length - 1]];
  if (input.shape.length === 2 && 'weight' in w) {
    const inputs = bias ? [input.name, w.weight, bias] : [input.name, w.weight];
    return ctx.op('Gemm', inputs, outShape, name, [attr.int('transB', 1)]);
  }
  const transposed =
    'transposed' in w
      ? w.transposed
      : ctx.op('Transpose', [w.weight], [inFeatures, outFeatures], `${name}.weight_t`, [
          attr.ints('perm', [1, 0]),
        ]).name;
  const product = ctx.op('MatMul', [input.name, transposed], outShape, bias ? `${name}.matmul` : name);
  return bias ? ctx.op('Add', [product.name, bias], outShape, name) : product;
}

/** `parent.child` module paths ('' is the root). */
export function joinPath(path: string, child: string): string {
  return path ? `${path}.${child}` : child;
}

/** Initializer/node base name for a module path. */
export function baseName(path: string): string {
  return path || 'model';
}
