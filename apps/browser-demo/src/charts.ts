/**
 * Tiny SVG charts drawn into <svg> elements (no library, no CDN): grouped bars of per-layer
 * bit-widths, and line charts (cost vs budget, accuracy). Each draw replaces the chart's content.
 */
const NS = 'http://www.w3.org/2000/svg';
/** viewBox sizes: the bits chart spans the page, the line charts half of it. */
const BITS_SIZE = { width: 960, height: 250 };
const LINE_SIZE = { width: 520, height: 250 };
type Size = typeof LINE_SIZE;
const MARGIN = { left: 46, right: 12, top: 28, bottom: 38 };
/** Colours of weight and activation bits. */
export const W_COLOR = '#2563eb';
export const A_COLOR = '#f59e0b';

type Attrs = Record<string, string | number>;

function node<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function reset(svg: SVGSVGElement, { width, height }: Size): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
}

/** About `count` round tick values covering [lo, hi] (whole numbers only when `integer`). */
export function ticks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const nice = (integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((m) => m * power);
  const step = Math.max(integer ? 1 : 0, nice.find((s) => s >= raw) ?? raw);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const format = (v: number) =>
  Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);

function legend(
  svg: SVGSVGElement,
  items: readonly { label: string; color: string; dashed?: boolean }[],
): void {
  let x = MARGIN.left;
  for (const item of items) {
    svg.append(
      node('line', {
        x1: x,
        y1: 12,
        x2: x + 18,
        y2: 12,
        stroke: item.color,
        'stroke-width': 3,
        ...(item.dashed ? { 'stroke-dasharray': '5 3' } : {}),
      }),
      node('text', { x: x + 22, y: 16, class: 'legend' }, item.label),
    );
    x += 34 + item.label.length * 6.5;
  }
}

function yAxis(
  svg: SVGSVGElement,
  size: Size,
  y: (v: number) => number,
  values: number[],
  label: string,
): void {
  for (const v of values) {
    svg.append(
      node('line', { x1: MARGIN.left, x2: size.width - MARGIN.right, y1: y(v), y2: y(v), class: 'grid' }),
      node('text', { x: MARGIN.left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, format(v)),
    );
  }
  const middle = size.height / 2;
  svg.append(
    node(
      'text',
      {
        x: 12,
        y: middle,
        class: 'axis-label',
        transform: `rotate(-90 12 ${middle})`,
        'text-anchor': 'middle',
      },
      label,
    ),
  );
}

export interface LayerBars {
  readonly name: string;
  /** Mean weight bits (kernel-wise: over the channels). */
  readonly w: number;
  readonly wMin: number;
  readonly wMax: number;
  readonly a: number;
  readonly pinned: boolean;
}

/** Weight and input-activation bits per layer (bars), min–max of kernel-wise bits (whiskers). */
export function drawBits(svg: SVGSVGElement, layers: readonly LayerBars[], title: string): void {
  const size = BITS_SIZE;
  const { width, height } = size;
  reset(svg, size);
  const top = 8;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const y = (v: number) => MARGIN.top + plotH * (1 - v / top);
  yAxis(svg, size, y, [0, 2, 4, 6, 8], 'bits');
  legend(svg, [
    { label: 'weights', color: W_COLOR },
    { label: 'input activations', color: A_COLOR },
  ]);
  svg.append(node('text', { x: width - MARGIN.right, y: 16, class: 'legend', 'text-anchor': 'end' }, title));
  const slot = (width - MARGIN.left - MARGIN.right) / Math.max(1, layers.length);
  const bar = Math.min(34, slot / 3);
  layers.forEach((l, i) => {
    const x0 = MARGIN.left + slot * i + slot / 2 - bar;
    const group = node('g', { class: 'layer', 'data-layer': l.name });
    group.append(
      node('rect', {
        x: x0,
        y: y(l.w),
        width: bar - 2,
        height: y(0) - y(l.w),
        fill: W_COLOR,
        class: 'bar-w',
      }),
      node('rect', {
        x: x0 + bar,
        y: y(l.a),
        width: bar - 2,
        height: y(0) - y(l.a),
        fill: A_COLOR,
        class: 'bar-a',
      }),
      node(
        'text',
        { x: x0 + bar / 2 - 1, y: y(l.w) - 4, class: 'value', 'text-anchor': 'middle' },
        l.w.toFixed(1),
      ),
      node(
        'text',
        { x: x0 + 1.5 * bar - 1, y: y(l.a) - 4, class: 'value', 'text-anchor': 'middle' },
        l.a.toFixed(1),
      ),
      node(
        'text',
        { x: x0 + bar, y: height - MARGIN.bottom + 16, class: 'tick', 'text-anchor': 'middle' },
        `${l.name}${l.pinned ? '*' : ''}`,
      ),
    );
    if (l.wMax > l.wMin) {
      const cx = x0 + bar / 2 - 1;
      group.append(node('line', { x1: cx, x2: cx, y1: y(l.wMax), y2: y(l.wMin), class: 'whisker' }));
    }
    svg.append(group);
  });
  svg.append(
    node(
      'text',
      { x: width - MARGIN.right, y: height - 6, class: 'tick', 'text-anchor': 'end' },
      '* pinned by the method (first conv W8 on an 8-bit image, last linear W8)',
    ),
  );
}

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
  /** Draw a dot at every point (few points) instead of a plain line. */
  readonly markers?: boolean;
}

export interface LineOptions {
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yMin?: number;
  readonly yMax?: number;
  /** The x range (default: the data's). */
  readonly xMax?: number;
}

/** Line chart of several series on shared axes. */
export function drawLines(svg: SVGSVGElement, series: readonly Series[], options: LineOptions): void {
  const size = LINE_SIZE;
  const { width, height } = size;
  reset(svg, size);
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMax = Math.max(options.xMax ?? 0, ...xs, 1);
  let yMin = options.yMin ?? Math.min(...ys, Number.POSITIVE_INFINITY);
  let yMax = options.yMax ?? Math.max(...ys, Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const pad = options.yMin === undefined || options.yMax === undefined ? 0.08 * (yMax - yMin) : 0;
  if (options.yMin === undefined) yMin -= pad;
  if (options.yMax === undefined) yMax += pad;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + (plotW * v) / xMax;
  const y = (v: number) => MARGIN.top + plotH * (1 - (v - yMin) / (yMax - yMin));
  yAxis(svg, size, y, ticks(yMin, yMax), options.yLabel);
  for (const v of ticks(0, xMax, 5, true)) {
    svg.append(
      node(
        'text',
        { x: x(v), y: height - MARGIN.bottom + 16, class: 'tick', 'text-anchor': 'middle' },
        format(v),
      ),
    );
  }
  svg.append(
    node(
      'text',
      { x: MARGIN.left + plotW / 2, y: height - 6, class: 'axis-label', 'text-anchor': 'middle' },
      options.xLabel,
    ),
  );
  legend(svg, series);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join('');
    svg.append(
      node('path', {
        d,
        fill: 'none',
        stroke: s.color,
        'stroke-width': 2,
        class: 'series',
        'data-series': s.label,
        ...(s.dashed ? { 'stroke-dasharray': '6 4' } : {}),
      }),
    );
    if (s.markers) {
      for (const p of s.points)
        svg.append(node('circle', { cx: x(p[0]), cy: y(p[1]), r: 3.5, fill: s.color, class: 'marker' }));
    }
  }
}
