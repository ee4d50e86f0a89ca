/**
 * Reverse-mode autograd over the records `runOp` attaches to op outputs. Backward rules are built
 * from ops, so gradients are computed on the same backend as the forward pass.
 */
import { onesLike } from './creation.js';
import { keep, noGrad } from './engine.js';
import { add } from './ops/binary.js';
import { formatShape, shapesEqual } from './shape.js';
import type { GradNode, Tensor } from './tensor.js';

function topologicalNodes(root: Tensor): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: [GradNode, boolean][] = root.node ? [[root.node, false]] : [];
  while (stack.length > 0) {
    const [node, expanded] = stack.pop()!;
    if (expanded) {
      order.push(node);
      continue;
    }
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push([node, true]);
    for (const input of node.inputs) {
      if (input.node && !seen.has(input.node)) stack.push([input.node, false]);
    }
  }
  return order;
}

/**
 * Computes gradients of `root` with respect to every leaf tensor with `requiresGrad` reachable
 * from it, accumulating into their `.grad` (gradients of repeated backward calls add up).
 * `root` must be a scalar unless `seed` (the gradient of root) is given.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad)
    throw new Error(`backward: ${root.describe()} does not require grad (no recorded ops lead to it)`);
  if (!seed && root.size !== 1)
    throw new Error(`backward: ${root.describe()} is not a scalar; pass its gradient as seed`);
  if (seed && !shapesEqual(seed.shape, root.shape)) {
    throw new Error(`backward: seed ${formatShape(seed.shape)} does not match ${root.describe()}`);
  }
  const grads = new Map<Tensor, Tensor>();
  noGrad(() => {
    grads.set(root, seed ?? onesLike(root));
    if (!root.node) accumulateLeaf(root, grads.get(root)!);
    const nodes = topologicalNodes(root);
    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n];
      const gys = node.outputs.map((o) => grads.get(o) ?? null);
      if (gys.every((g) => g === null)) continue;
      const gxs = node.backward(gys);
      node.inputs.forEach((input, i) => {
        const g = gxs[i];
        if (!g || !input.requiresGrad) return;
        if (!shapesEqual(g.shape, input.shape)) {
          throw new Error(
            `backward of ${node.opName}: gradient ${formatShape(g.shape)} does not match input ${input.describe()}`,
          );
        }
        if (input.node) {
          const prev = grads.get(input);
          grads.set(input, prev ? add(prev, g) : g);
        } else {
          accumulateLeaf(input, g);
        }
      });
    }
  });
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.grad) {
    const sum = keep(add(leaf.grad, g));
    leaf.grad.dispose();
    leaf.grad = sum;
  } else {
    // A fresh handle on the gradient's storage: the same gradient tensor may feed several leaves.
    leaf.grad = keep(g.detach());
  }
}

/** Disposes and clears the gradients of `tensors`. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    if (t.grad) {
      t.grad.dispose();
      t.grad = null;
    }
  }
}
