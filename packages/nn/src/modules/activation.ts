import { type Shape, type Tensor, unary } from '@fracbits/tensor';
import { Module } from './module.js';

type UnaryFunction = Parameters<typeof unary>[0];

/** A parameter-free elementwise function as a module. */
abstract class Elementwise extends Module {
  protected abstract readonly fn: UnaryFunction;

  override outputShape(input: Shape): number[] {
    return [...input];
  }

  forward(x: Tensor): Tensor {
    return unary(this.fn, x);
  }
}

export class ReLU extends Elementwise {
  protected readonly fn = 'relu';
}

/** min(max(x, 0), 6), as used by MobileNetV2. */
export class ReLU6 extends Elementwise {
  protected readonly fn = 'relu6';
}

export class Tanh extends Elementwise {
  protected readonly fn = 'tanh';
}

export class Sigmoid extends Elementwise {
  protected readonly fn = 'sigmoid';
}

/** Returns its input (a placeholder, e.g. for a residual shortcut without a projection). */
export class Identity extends Module {
  override outputShape(input: Shape): number[] {
    return [...input];
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}
