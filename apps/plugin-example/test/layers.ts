/** Hand-written layer descriptions (what a host passes to cost models and exporters). */
import type { LayerInfo } from '@fracbits/plugin-api';

/** A 3×3 conv 16→32, stride 2, on 16×15×15 (the plugin-api README's example). */
export const conv: LayerInfo = {
  name: 'stage2.conv1',
  kind: 'conv',
  inChannels: 16,
  outChannels: 32,
  kernel: [3, 3],
  stride: [2, 2],
  groups: 1,
  inputShape: [16, 15, 15],
  outputShape: [32, 8, 8],
  macs: 3 * 3 * 16 * 32 * 8 * 8,
  params: 3 * 3 * 16 * 32,
  hasBias: false,
};

/** A LeNet-5-like network: pinned first conv, a depthwise conv, two linear layers (last pinned). */
export const network: LayerInfo[] = [
  {
    name: 'conv1',
    kind: 'conv',
    inChannels: 1,
    outChannels: 5,
    kernel: [5, 5],
    stride: [1, 1],
    groups: 1,
    inputShape: [1, 28, 28],
    outputShape: [5, 28, 28],
    macs: 25 * 5 * 28 * 28,
    params: 25 * 5,
    hasBias: true,
    pinned: { w: 8, a: 8 },
  },
  {
    name: 'dw2',
    kind: 'conv',
    inChannels: 5,
    outChannels: 5,
    kernel: [3, 3],
    stride: [2, 2],
    groups: 5,
    inputShape: [5, 14, 14],
    outputShape: [5, 7, 7],
    macs: 9 * 5 * 7 * 7,
    params: 9 * 5,
    hasBias: false,
  },
  {
    name: 'fc1',
    kind: 'linear',
    inChannels: 245,
    outChannels: 3,
    kernel: [1, 1],
    stride: [1, 1],
    groups: 1,
    inputShape: [245],
    outputShape: [3],
    macs: 245 * 3,
    params: 245 * 3,
    hasBias: true,
  },
  {
    name: 'fc2',
    kind: 'linear',
    inChannels: 3,
    outChannels: 7,
    kernel: [1, 1],
    stride: [1, 1],
    groups: 1,
    inputShape: [3],
    outputShape: [7],
    macs: 21,
    params: 21,
    hasBias: true,
    pinned: { w: 8 },
  },
];

/** A fractional bit-width in [lo, hi] at least 0.1 away from every integer. */
export function fractional(random: () => number, lo = 0, hi = 8): number {
  const whole = lo + Math.floor(random() * (hi - lo));
  return whole + 0.1 + 0.8 * random();
}
