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

/** Font sizes (px) of the labels and of the title. */
const FONT = 11;
const TITLE_FONT = 14;
/**
 * Advance of one glyph, in ems, of the monospace font the labels use (DejaVu Sans Mono,
 * Liberation Mono, Courier: 0.6), rounded up so estimated boxes are never too small.
 */
const GLYPH_EM = 0.62;
/** Space kept between two labels on a line. */
const LABEL_GAP = 12;
const TOP = 44;
const BOTTOM = 50;
const ROW = 18;
/**
 * From the plot's right edge to the legend: more than half a time label, which may stick out
 * of the plot under the last column.
 */
const LEGEND_GAP = 40;
const LEGEND_ROW = 16;
/** The plot area and empty cells: white, so any call (the lightest colour) stands out. */
export const EMPTY_FILL = '#ffffff';

/** Estimated width in px of `text` set in the labels' monospace font at `size` px. */
export function textWidth(text: string, size = FONT): number {
  return Math.ceil(text.length * size * GLYPH_EM);
}

/**
 * Colour stops of the ramp (yellow → orange → dark red), from few calls to many. The first
 * stop is a clear yellow, not a near-white: one call must not look like an empty cell.
 */
const RAMP: readonly (readonly [number, number, number])[] = [
  [255, 230, 130],
  [254, 190, 80],
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

/** The title funclatency gives its heat map: what was probed, by which tool, in what unit. */
export function heatmapTitle(tool: string, probe: string, unit: string, intervalSeconds: number): string {
  return `Latency heat map: ${tool} ${probe} (${unit}, a column every ${intervalSeconds}s)`;
}

/** The y axis' caption: the unit the latency rows are in. */
export const yAxisCaption = (unit: string): string => `latency (${unit})`;
const X_CAPTION = 'time (end of each interval)';

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
  // Columns up to one time label wide (so a short run labels every column), 4 px at least.
  const cw = Math.max(4, Math.min(textWidth('00:00:00') + LABEL_GAP, Math.floor(960 / ncols)));
  const rows = maxSlot - minSlot + 1;
  // Margins wide enough for the row labels (left) and the legend's counts (right).
  let yLabel = textWidth(yAxisCaption(input.unit));
  for (let slot = minSlot; slot <= maxSlot; slot++) yLabel = Math.max(yLabel, textWidth(slotRange(slot)));
  const left = 12 + yLabel + 8;
  const right = LEGEND_GAP + 16 + Math.max(textWidth('calls'), textWidth(String(max))) + 12;
  const plotW = cw * ncols;
  // Wide enough for the title and the x caption too.
  const width = Math.max(left + plotW + right, textWidth(input.title, TITLE_FONT) + 40, left + textWidth(X_CAPTION) + 20);
  const plot = { x: left, y: TOP, w: plotW, h: ROW * rows };
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
  const legendRows = max > 0n ? legendSteps(max).length + 1 : 0;
  return { width, height: TOP + Math.max(plot.h + BOTTOM, legendRows * LEGEND_ROW + 10), minSlot, maxSlot, max, plot, cells };
}

/**
 * Which columns get a time label: every k-th, counted back from the last (the latest time is
 * always labelled), k chosen so that labels `labelWidth` wide on columns `cw` apart keep
 * LABEL_GAP between them.
 */
export function labelledColumns(ncols: number, cw: number, labelWidth: number): number[] {
  const k = Math.max(1, Math.ceil((labelWidth + LABEL_GAP) / cw));
  const out: number[] = [];
  for (let i = ncols - 1; i >= 0; i -= k) out.unshift(i);
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHeatmap(input: HeatmapInput): string {
  const L = heatmapLayout(input);
  const { plot } = L;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="monospace" font-size="${FONT}">`,
  );
  out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${L.width}" height="${L.height}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${L.width / 2}" y="20" text-anchor="middle" font-size="${TITLE_FONT}">${esc(input.title)}</text>`);
  // Empty cells are the plot's white; its grey frame shows where the plot ends.
  out.push(`<rect class="plot" x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="${EMPTY_FILL}"/>`);
  out.push(
    `<rect class="frame" x="${plot.x - 0.5}" y="${plot.y - 0.5}" width="${plot.w + 1}" height="${plot.h + 1}" fill="none" stroke="#bbbbbb" stroke-width="1"/>`,
  );
  // y axis: its unit, and one label per row (the latency range, in that unit).
  out.push(`<text class="ycaption" x="${plot.x - 8}" y="${plot.y - 8}" text-anchor="end">${esc(yAxisCaption(input.unit))}</text>`);
  for (let slot = L.minSlot; slot <= L.maxSlot; slot++) {
    const y = plot.y + (L.maxSlot - slot) * ROW + ROW / 2 + 4;
    out.push(`<text class="ylabel" x="${plot.x - 8}" y="${y}" text-anchor="end">${esc(slotRange(slot))}</text>`);
  }
  // x axis: the end time of every k-th interval, spaced by the labels' width.
  const ncols = input.columns.length;
  const cw = ncols ? plot.w / ncols : plot.w;
  const labels = input.columns.map((c) => strftimeHMS(c.time));
  const widest = labels.reduce((m, t) => Math.max(m, textWidth(t)), 0);
  for (const i of labelledColumns(ncols, cw, widest)) {
    const x = plot.x + i * cw + cw / 2;
    out.push(`<text class="xlabel" x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle">${labels[i]}</text>`);
  }
  out.push(`<text class="xcaption" x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 38}" text-anchor="middle">${X_CAPTION}</text>`);
  // Cells, drawn without stroke so every pixel of a cell has its fill.
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (const c of L.cells) {
    const t = input.columns[c.col]!.time;
    out.push(
      `<rect class="cell" x="${c.x}" y="${c.y}" width="${c.w}" height="${c.h}" fill="${c.fill}" data-col="${c.col}" data-slot="${c.slot}" data-count="${c.count}"><title>${strftimeHMS(t)}  ${esc(slotRange(c.slot))} ${esc(input.unit)}: ${c.count}</title></rect>`,
    );
  }
  out.push(`</g>`);
  // Colour legend: five steps from 1 call to the busiest cell, and "0" as white.
  const lx = plot.x + plot.w + LEGEND_GAP;
  out.push(`<text class="legend" x="${lx}" y="${plot.y - 8}">calls</text>`);
  const steps = L.max > 0n ? [...legendSteps(L.max), 0n] : [];
  steps.forEach((n, i) => {
    const y = plot.y + i * LEGEND_ROW;
    out.push(`<rect class="legend" x="${lx}" y="${y}" width="12" height="12" fill="${heatColor(n, L.max)}" stroke="#999999" stroke-width="0.5"/>`);
    out.push(`<text class="legend" x="${lx + 16}" y="${y + 10}">${n}</text>`);
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
