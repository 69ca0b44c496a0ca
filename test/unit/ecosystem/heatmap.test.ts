/** The latency heat map's cells, as a pure function: positions, colours and the SVG text. */
import { describe, it, expect } from 'vitest';
import { strftimeHMS as strftime } from '../../../src/output/time.js';
import { heatmapLayout, renderHeatmap, heatColor, heatmapTitle, slotRange, EMPTY_FILL } from '../../../src/output/heatmap.js';

function slots(m: Record<number, number>): bigint[] {
  const s = new Array<bigint>(65).fill(0n);
  for (const [k, v] of Object.entries(m)) s[Number(k)] = BigInt(v);
  return s;
}

const t0 = new Date(2026, 10, 25, 12, 0, 0);
const at = (i: number) => new Date(t0.getTime() + i * 1000);
/** A bimodal latency: fast calls in slot 10 (512-1023), slow ones in slot 20, then a burst. */
const input = {
  title: 'funclatency test',
  unit: 'nsecs',
  columns: [
    { time: at(1), slots: slots({ 10: 100, 20: 3 }) },
    { time: at(2), slots: slots({}) },
    { time: at(3), slots: slots({ 10: 1000, 11: 1, 20: 30 }) },
  ],
};

describe('heat map layout', () => {
  it('one cell per non-empty (interval, slot), latency rows from slot 10 (bottom) to 20 (top)', () => {
    const L = heatmapLayout(input);
    expect(L.minSlot).toBe(10);
    expect(L.maxSlot).toBe(20);
    expect(L.max).toBe(1000n);
    expect(L.cells.map((c) => [c.col, c.slot, Number(c.count)])).toEqual([
      [0, 10, 100],
      [0, 20, 3],
      [2, 10, 1000],
      [2, 11, 1],
      [2, 20, 30],
    ]);
    const c = (col: number, slot: number) => L.cells.find((x) => x.col === col && x.slot === slot)!;
    // Same column, same x; higher latency, smaller y; later interval, larger x.
    expect(c(0, 10).x).toBe(c(0, 20).x);
    expect(c(0, 20).y).toBeLessThan(c(0, 10).y);
    expect(c(0, 10).y - c(0, 20).y).toBe(10 * c(0, 10).h);
    expect(c(2, 10).x - c(0, 10).x).toBe(2 * c(0, 10).w);
    // Every cell inside the plot.
    for (const x of L.cells) {
      expect(x.x).toBeGreaterThanOrEqual(L.plot.x);
      expect(x.x + x.w).toBeLessThanOrEqual(L.plot.x + L.plot.w);
      expect(x.y).toBeGreaterThanOrEqual(L.plot.y);
      expect(x.y + x.h).toBeLessThanOrEqual(L.plot.y + L.plot.h);
    }
  });

  it('colours: log scale from yellow (1 call) to dark red (the busiest cell); empty is white', () => {
    expect(heatColor(1000n, 1000n)).toBe('#800026');
    expect(heatColor(1n, 1000n)).toBe('#ffe682');
    expect(heatColor(0n, 1000n)).toBe(EMPTY_FILL);
    const L = heatmapLayout(input);
    const fills = L.cells.map((c) => c.fill);
    expect(fills[2]).toBe('#800026');
    expect(fills[3]).toBe('#ffe682');
    // More calls, darker (the sum of the channels falls).
    const lum = (h: string) => parseInt(h.slice(1, 3), 16) + parseInt(h.slice(3, 5), 16) + parseInt(h.slice(5, 7), 16);
    expect(lum(heatColor(30n, 1000n))).toBeLessThan(lum(heatColor(3n, 1000n)));
    expect(lum(heatColor(100n, 1000n))).toBeLessThan(lum(heatColor(30n, 1000n)));
  });

  it('the SVG: self-contained, one rect.cell per cell with its numbers, row labels as BCC ranges', () => {
    const svg = renderHeatmap(input);
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=|@import|url\(/);
    const cells = [
      ...svg.matchAll(
        /<rect class="cell" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="(#[0-9a-f]{6})" data-col="(\d+)" data-slot="(\d+)" data-count="(\d+)">/g,
      ),
    ];
    const L = heatmapLayout(input);
    expect(cells.map((m) => [Number(m[1]), Number(m[2]), m[5], Number(m[7]), m[8]])).toEqual(L.cells.map((c) => [c.x, c.y, c.fill, c.slot, String(c.count)]));
    expect(slotRange(10)).toBe('512 -> 1023');
    expect(slotRange(1)).toBe('1');
    expect(svg).toContain('>512 -&gt; 1023</text>');
    expect(svg).toContain('>524288 -&gt; 1048575</text>');
    // Balanced tags.
    expect((svg.match(/<rect /g) ?? []).length).toBe((svg.match(/\/>|<\/rect>/g) ?? []).length);
  });

  it('no calls at all: an empty plot, no cells', () => {
    const L = heatmapLayout({ title: 't', unit: 'usecs', columns: [{ time: at(1), slots: slots({}) }] });
    expect(L.cells).toEqual([]);
    expect(renderHeatmap({ title: 't', unit: 'usecs', columns: [] })).toContain('</svg>');
  });
});

/** Every <text> of the SVG with its estimated box (monospace: 0.6 em a glyph). */
function textBoxes(svg: string): Array<{ text: string; x0: number; x1: number; y0: number; y1: number }> {
  return [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const attr = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(m[1]!)?.[1];
    const size = Number(attr('font-size') ?? /<svg [^>]*font-size="(\d+)"/.exec(svg)![1]);
    const text = m[2]!.replace(/&[a-z]+;|&#\d+;/g, '_');
    const w = text.length * size * 0.6;
    const x = Number(attr('x'));
    const y = Number(attr('y'));
    const anchor = attr('text-anchor') ?? 'start';
    const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    return { text, x0, x1: x0 + w, y0: y - size * 0.8, y1: y + size * 0.25 };
  });
}

describe('heat map labels and reading aids', () => {
  const many = (n: number, start = t0) => ({
    title: heatmapTitle('funclatency', 'c:read', 'usecs', 1),
    unit: 'usecs',
    columns: Array.from({ length: n }, (_, i) => ({
      time: new Date(start.getTime() + (i + 1) * 1000),
      slots: slots({ 3: i + 1, 9: 1, 30: i % 7 === 0 ? 123456789 : 0 }),
    })),
  });

  for (const n of [1, 2, 6, 60, 120, 600]) {
    it(`${n} columns: no two text labels overlap, all inside the image, the last time labelled`, () => {
      const svg = renderHeatmap(many(n));
      const [, W, H] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
      const boxes = textBoxes(svg);
      const xlabels = [...svg.matchAll(/class="xlabel"[^>]*>([^<]*)</g)].map((m) => m[1]);
      // A short run labels every column; a long one at least every ~70 px of 960.
      expect(xlabels.length).toBeGreaterThanOrEqual(n <= 14 ? n : 12);
      expect(xlabels[xlabels.length - 1]).toBe(strftime(new Date(t0.getTime() + n * 1000)));
      for (const b of boxes) {
        expect(b.x0, b.text).toBeGreaterThanOrEqual(0);
        expect(b.x1, b.text).toBeLessThanOrEqual(W!);
        expect(b.y0, b.text).toBeGreaterThanOrEqual(0);
        expect(b.y1, b.text).toBeLessThanOrEqual(H!);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
          expect(overlap, `"${a.text}" and "${b.text}"`).toBe(false);
        }
      }
    });
  }

  it('the 6-interval run of the bug report: labels 18:16:42 .. 18:16:47 no longer collide', () => {
    const svg = renderHeatmap(many(6, new Date(2026, 10, 25, 18, 16, 41)));
    const xs = [...svg.matchAll(/<text class="xlabel" x="([\d.]+)"[^>]*>([^<]*)</g)].map((m) => [Number(m[1]), m[2]] as const);
    expect(xs[xs.length - 1]![1]).toBe('18:16:47');
    for (let i = 1; i < xs.length; i++) expect(xs[i]![0] - xs[i - 1]![0]).toBeGreaterThanOrEqual(8 * 11 * 0.6 + 8);
  });

  it('an empty cell (white) is clearly unlike the fewest calls, in the plot and in the legend', () => {
    const L = heatmapLayout(many(6));
    const lowest = L.cells.reduce((m, c) => (c.count < m.count ? c : m));
    expect(lowest.count).toBe(1n);
    expect(lowest.fill).not.toBe(EMPTY_FILL);
    const rgb = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    const dist = rgb(lowest.fill).reduce((a, v, i) => a + Math.abs(v - rgb(EMPTY_FILL)[i]!), 0);
    expect(dist).toBeGreaterThanOrEqual(100);
    const svg = renderHeatmap(many(6));
    expect(svg).toContain(`<rect class="plot" x="${L.plot.x}" y="${L.plot.y}" width="${L.plot.w}" height="${L.plot.h}" fill="${EMPTY_FILL}"/>`);
    expect(svg).toMatch(/<rect class="legend"[^>]*fill="#ffffff"[^>]*\/>\n<text class="legend"[^>]*>0<\/text>/);
  });

  it('the title names the tool and the probe; the y axis says its unit', () => {
    const svg = renderHeatmap(many(3));
    expect(svg).toContain('<title>Latency heat map: funclatency c:read (usecs, a column every 1s)</title>');
    expect(svg).toMatch(/<text class="title"[^>]*>Latency heat map: funclatency c:read/);
    expect(svg).toMatch(/<text class="ycaption"[^>]*>latency \(usecs\)<\/text>/);
    expect(renderHeatmap({ ...many(3), unit: 'msecs' })).toMatch(/>latency \(msecs\)</);
  });
});
