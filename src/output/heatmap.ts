/**
 * A latency heat map (funclatency --heatmap FILE.svg -i N): one column per interval (time on
 * x), one row per log2 latency slot (y, short latencies at the bottom), and the number of
 * calls as the colour of the cell. The SVG is self-contained: no scripts, no external
 * fonts or styles; each cell carries its numbers as data-* attributes and a <title> tooltip.
 *
 * The layout is a pure function (`heatmapLayout`) so tests can compare the rendered pixels
 * of every cell with the colour it should have.
 */
import { strftimeHMS } from './time.js';

export interface HeatmapColumn {
  /** The end of the interval. */
  readonly time: Date;
  /** Calls per BCC log2 slot (slot i: 2^(i-1) <= latency < 2^i; slot 0: latency 0). */
  readonly slots: readonly bigint[];
}

export interface HeatmapInput {
  readonly title: string;
  /** 'nsecs' | 'usecs' | 'msecs', as funclatency prints it. */
  readonly unit: string;
  readonly columns: readonly HeatmapColumn[];
}

export interface HeatmapCell {
  readonly col: number;
  readonly slot: number;
  readonly count: bigint;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** `#rrggbb`. */
  readonly fill: string;
}

export interface HeatmapLayout {
  readonly width: number;
  readonly height: number;
  /** Lowest and highest slot shown (inclusive). */
  readonly minSlot: number;
  readonly maxSlot: number;
  readonly max: bigint;
  /** The plot area. */
  readonly plot: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  /** Every non-empty cell. */
  readonly cells: readonly HeatmapCell[];
}

const LEFT = 150;
const TOP = 40;
const RIGHT = 90;
const BOTTOM = 50;
const ROW = 18;
export const EMPTY_FILL = '#ffffff';

/** Colour stops of the ramp (light yellow → orange → dark red), from few calls to many. */
const RAMP: readonly (readonly [number, number, number])[] = [
  [255, 255, 204],
  [254, 217, 118],
  [253, 141, 60],
  [227, 26, 28],
  [128, 0, 38],
];

const hex2 = (n: number): string => Math.round(n).toString(16).padStart(2, '0');

/** The colour of `count` calls when the busiest cell has `max` (log scale; 0 → white). */
export function heatColor(count: bigint, max: bigint): string {
  if (count <= 0n || max <= 0n) return EMPTY_FILL;
  const t = max === 1n ? 1 : Math.log(Number(count)) / Math.log(Number(max));
  const pos = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return `#${hex2(a[0] + (b[0] - a[0]) * f)}${hex2(a[1] + (b[1] - a[1]) * f)}${hex2(a[2] + (b[2] - a[2]) * f)}`;
}

/** `lo -> hi` of a slot as BCC prints histogram rows. */
export function slotRange(slot: number): string {
  if (slot === 0) return '0';
  const hi = (1n << BigInt(slot)) - 1n;
  const lo = slot === 1 ? 1n : 1n << BigInt(slot - 1);
  return lo === hi ? `${lo}` : `${lo} -> ${hi}`;
}

export function heatmapLayout(input: HeatmapInput): HeatmapLayout {
  let minSlot = Infinity;
  let maxSlot = -Infinity;
  let max = 0n;
  for (const c of input.columns) {
    c.slots.forEach((n, i) => {
      if (n <= 0n) return;
      minSlot = Math.min(minSlot, i);
      maxSlot = Math.max(maxSlot, i);
      if (n > max) max = n;
    });
  }
  if (!Number.isFinite(minSlot)) {
    minSlot = 0;
    maxSlot = 0;
  }
  const ncols = Math.max(1, input.columns.length);
  const cw = Math.max(4, Math.min(40, Math.floor(960 / ncols)));
  const rows = maxSlot - minSlot + 1;
  const plot = { x: LEFT, y: TOP, w: cw * ncols, h: ROW * rows };
  const cells: HeatmapCell[] = [];
  input.columns.forEach((c, col) => {
    for (let slot = minSlot; slot <= maxSlot; slot++) {
      const count = c.slots[slot] ?? 0n;
      if (count <= 0n) continue;
      cells.push({
        col,
        slot,
        count,
        x: plot.x + col * cw,
        y: plot.y + (maxSlot - slot) * ROW,
        w: cw,
        h: ROW,
        fill: heatColor(count, max),
      });
    }
  });
  return { width: LEFT + plot.w + RIGHT, height: TOP + plot.h + BOTTOM, minSlot, maxSlot, max, plot, cells };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHeatmap(input: HeatmapInput): string {
  const L = heatmapLayout(input);
  const { plot } = L;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="monospace" font-size="11">`,
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${L.width}" height="${L.height}" fill="#ffffff"/>`);
  out.push(`<text x="${L.width / 2}" y="20" text-anchor="middle" font-size="14">${esc(input.title)}</text>`);
  out.push(`<rect class="plot" x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="${EMPTY_FILL}" stroke="#999999" stroke-width="0"/>`);
  // y axis: one label per row (latency range, in the unit).
  out.push(`<text x="12" y="${plot.y - 8}">${esc(input.unit)}</text>`);
  for (let slot = L.minSlot; slot <= L.maxSlot; slot++) {
    const y = plot.y + (L.maxSlot - slot) * ROW + ROW / 2 + 4;
    out.push(`<text class="ylabel" x="${plot.x - 6}" y="${y}" text-anchor="end">${esc(slotRange(slot))}</text>`);
  }
  // x axis: the end time of every few intervals.
  const ncols = input.columns.length;
  const cw = ncols ? plot.w / ncols : plot.w;
  const every = Math.max(1, Math.ceil(70 / cw));
  input.columns.forEach((c, i) => {
    if (i % every !== 0 && i !== ncols - 1) return;
    const x = plot.x + i * cw + cw / 2;
    out.push(`<text class="xlabel" x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle">${strftimeHMS(c.time)}</text>`);
  });
  out.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 38}" text-anchor="middle">time (end of each interval)</text>`);
  // Cells, drawn without stroke so every pixel of a cell has its fill.
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (const c of L.cells) {
    const t = input.columns[c.col]!.time;
    out.push(
      `<rect class="cell" x="${c.x}" y="${c.y}" width="${c.w}" height="${c.h}" fill="${c.fill}" data-col="${c.col}" data-slot="${c.slot}" data-count="${c.count}"><title>${strftimeHMS(t)}  ${esc(slotRange(c.slot))} ${esc(input.unit)}: ${c.count}</title></rect>`,
    );
  }
  out.push(`</g>`);
  // Colour legend: five steps from 1 call to the busiest cell.
  const lx = plot.x + plot.w + 16;
  out.push(`<text x="${lx}" y="${plot.y - 8}">calls</text>`);
  const steps = L.max > 0n ? legendSteps(L.max) : [];
  steps.forEach((n, i) => {
    const y = plot.y + i * 16;
    out.push(`<rect class="legend" x="${lx}" y="${y}" width="12" height="12" fill="${heatColor(n, L.max)}" stroke="#999999" stroke-width="0.5"/>`);
    out.push(`<text x="${lx + 16}" y="${y + 10}">${n}</text>`);
  });
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

/** Legend counts: 1, the busiest, and up to three geometric steps between. */
function legendSteps(max: bigint): bigint[] {
  const m = Number(max);
  const set = new Set<bigint>([max]);
  for (const f of [0, 0.25, 0.5, 0.75]) set.add(BigInt(Math.max(1, Math.round(m ** f))));
  return [...set].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
}
