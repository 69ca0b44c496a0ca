/** The latency heat map's cells, as a pure function: positions, colours and the SVG text. */
import { describe, it, expect } from 'vitest';
import { heatmapLayout, renderHeatmap, heatColor, slotRange, EMPTY_FILL } from '../../../src/output/heatmap.js';

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

  it('colours: log scale from light yellow (1 call) to dark red (the busiest cell); empty is white', () => {
    expect(heatColor(1000n, 1000n)).toBe('#800026');
    expect(heatColor(1n, 1000n)).toBe('#ffffcc');
    expect(heatColor(0n, 1000n)).toBe(EMPTY_FILL);
    const L = heatmapLayout(input);
    const fills = L.cells.map((c) => c.fill);
    expect(fills[2]).toBe('#800026');
    expect(fills[3]).toBe('#ffffcc');
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
