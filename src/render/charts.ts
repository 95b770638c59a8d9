/**
 * Small SVG charts for the reports: pure functions from numbers to markup, so a page needs no
 * script or network to show them. Sizes are in CSS pixels; text uses the page's font. Labels
 * and titles are escaped by the templates (./html.ts).
 */
import { html, type Html } from './html.js';

export interface Segment {
  value: number;
  color: string;
  /** Shown in the tooltip, e.g. the severity. */
  name?: string;
}

export interface Bar {
  label: string;
  segments: Segment[];
}

export interface Point {
  label: string;
  value: number;
}

/** The smallest 1, 2 or 5 times a power of ten that is at least `x`. */
export function niceStep(x: number): number {
  if (x <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 5, 10].find((m) => m * power >= x) ?? 10) * power;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function clip(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** The chart's elements, one a line, in an `<svg>` titled for screen readers and tooltips. */
function svg(width: number, height: number, title: string, elements: Html[]): Html {
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">
<title>${title}</title>${elements.map((element) => html`\n${element}`)}
</svg>`;
}

/**
 * One horizontal bar per row, stacked from its segments, the label on the left and the total
 * at the end of the bar. Bars share one scale, the largest total filling the plot.
 */
export function horizontalBars(bars: Bar[], opts: { title: string; width?: number; labelWidth?: number }): Html {
  const width = opts.width ?? 540;
  const labelWidth = opts.labelWidth ?? 150;
  const rowHeight = 26;
  const barHeight = 16;
  const plotWidth = width - labelWidth - 56;
  const totals = bars.map((b) => b.segments.reduce((sum, s) => sum + s.value, 0));
  const scale = plotWidth / Math.max(1, ...totals);
  const body: Html[] = [];
  bars.forEach((bar, row) => {
    const y = row * rowHeight + 4;
    const textY = y + barHeight / 2 + 4;
    body.push(html`<text x="${labelWidth - 8}" y="${textY}" text-anchor="end" class="label">${clip(bar.label, 22)}</text>`);
    let x = labelWidth;
    for (const s of bar.segments.filter((s) => s.value > 0)) {
      const w = Math.max(1, s.value * scale);
      const tip = `${bar.label}${s.name ? ` · ${s.name}` : ''}: ${fmt(s.value)}`;
      body.push(
        html`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${s.color}"><title>${tip}</title></rect>`,
      );
      x += w;
    }
    body.push(html`<text x="${(x + 6).toFixed(1)}" y="${textY}" class="value">${fmt(totals[row])}</text>`);
  });
  return svg(width, Math.max(1, bars.length) * rowHeight + 4, opts.title, body);
}

/**
 * Vertical columns over categories (e.g. the 24 hours of a day) with a y axis of round
 * ticks and gridlines; `labelEvery` thins the x labels, `minStep` (1 for counts) keeps ticks
 * from falling between whole numbers.
 */
export function columnChart(
  points: Point[],
  opts: { title: string; color: string; width?: number; height?: number; labelEvery?: number; minStep?: number },
): Html {
  const width = opts.width ?? 540;
  const height = opts.height ?? 220;
  const left = 40;
  const bottom = 24;
  const top = 10;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 8;
  const max = Math.max(0, ...points.map((p) => p.value));
  const step = Math.max(opts.minStep ?? 0, niceStep(max / 4));
  const axisMax = Math.max(step, Math.ceil(max / step) * step);
  const yOf = (v: number) => top + plotHeight - (v / axisMax) * plotHeight;
  const body: Html[] = [];
  for (let v = 0; v <= axisMax + 1e-9; v += step) {
    const y = yOf(v).toFixed(1);
    body.push(html`<line x1="${left}" x2="${width - 8}" y1="${y}" y2="${y}" class="grid"/>`);
    body.push(html`<text x="${left - 6}" y="${(yOf(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(v)}</text>`);
  }
  const slot = plotWidth / Math.max(1, points.length);
  const gap = Math.min(4, slot * 0.2);
  points.forEach((p, i) => {
    const x = left + i * slot + gap / 2;
    if (p.value > 0) {
      const y = yOf(p.value);
      const box = html`x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - gap).toFixed(1)}" height="${(top + plotHeight - y).toFixed(1)}"`;
      body.push(html`<rect ${box} fill="${opts.color}"><title>${p.label}: ${fmt(p.value)}</title></rect>`);
    }
    if (i % (opts.labelEvery ?? 1) === 0) {
      body.push(html`<text x="${(x + (slot - gap) / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle" class="tick">${p.label}</text>`);
    }
  });
  body.push(html`<line x1="${left}" x2="${width - 8}" y1="${top + plotHeight}" y2="${top + plotHeight}" class="axis"/>`);
  return svg(width, height, opts.title, body);
}

/** A row of colour keys for the segments of a chart (HTML). */
export function legend(items: Array<{ name: string; color: string }>): Html {
  const keys = items.map((i) => html`<span class="key"><span class="swatch" style="background:${i.color}"></span>${i.name}</span>`);
  return html`<div class="legend">${keys}</div>`;
}
