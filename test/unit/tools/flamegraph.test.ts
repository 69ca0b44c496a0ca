/** The flame graph: layout proportional to counts, and a self-contained interactive SVG. */
import { describe, it, expect } from 'vitest';
import { layoutFlameGraph, parseFolded, renderFlameGraph } from '../../../src/output/flamegraph.js';
import { parseOptions } from '../../../src/multitools/stackcount.js';
import { UsageError } from '../../../src/errors.js';

const folded = 'chain;main;a;b;target 300\nchain;main;fact 100\nchain;main;a;b 100\n';

describe('flame graph', () => {
  it('parses folded lines (an empty comm is dropped)', () => {
    expect(parseFolded(folded)[0]).toEqual({ frames: ['chain', 'main', 'a', 'b', 'target'], count: 300n });
    expect(parseFolded(';x;y 2\n')[0]).toEqual({ frames: ['x', 'y'], count: 2n });
  });

  it('lays out frames proportional to counts, children sorted by name', () => {
    const r = layoutFlameGraph(parseFolded(folded));
    const at = (name: string) => r.find((x) => x.name === name)!;
    expect(at('all')).toMatchObject({ depth: 0, x: 0, w: 1, count: 500n });
    expect(at('main')).toMatchObject({ depth: 2, w: 1 });
    expect(at('a')).toMatchObject({ depth: 3, x: 0, w: 0.8, count: 400n });
    expect(at('fact')).toMatchObject({ depth: 3, x: 0.8, w: 0.2 });
    expect(at('target')).toMatchObject({ depth: 5, w: 0.6, count: 300n });
  });

  it('renders a standalone SVG with tooltips, zoom script and escaped names', () => {
    const svg = renderFlameGraph([...parseFolded(folded), { frames: ['chain', 'std::vector<int>::push_back&'], count: 1n }], { title: 'T' });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg version="1.1"');
    expect(svg).not.toMatch(/(href|src)="http/);
    expect(svg).toContain('<title>target (300 samples, 59.88%)</title>');
    expect(svg).toContain('std::vector&#60;int&#62;::push_back&#38;');
    expect(svg).toContain('function zoom(target)');
    expect(svg.match(/<g class="f"/g)).toHaveLength(layoutFlameGraph(parseFolded(folded)).length + 1);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('an empty graph is still a valid document', () => {
    const svg = renderFlameGraph([]);
    expect(svg).toContain('</svg>');
    expect(svg).not.toContain('<g class="f"');
  });

  it('--width sets the image width (1200 by default, as flamegraph.pl); --title the title', () => {
    const frames = (svg: string) => [...svg.matchAll(/<g class="f"[^>]*data-n="([^"]*)"[^>]*>.*?<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)];
    const wide = renderFlameGraph(parseFolded(folded));
    expect(wide).toMatch(/<svg version="1.1" width="1200" /);
    expect(wide).toContain('<text id="title" x="600" y="24">Flame Graph</text>');
    const narrow = renderFlameGraph(parseFolded(folded), { width: 500, title: 'my <title>' });
    expect(narrow).toMatch(/<svg version="1.1" width="500" /);
    expect(narrow).toContain('>my &#60;title&#62;</text>');
    const all = frames(narrow).find((m) => m[1] === 'all')!;
    expect(Number(all[4])).toBeCloseTo(500 - 20 - 0.5, 2);
  });

  it('inverted: the root at the top, callees below their callers ("Icicle Graph" by default)', () => {
    const y = (svg: string) => new Map([...svg.matchAll(/data-n="([^"]*)"[^>]*>.*?<rect x="[\d.]+" y="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]));
    const up = y(renderFlameGraph(parseFolded(folded)));
    const down = y(renderFlameGraph(parseFolded(folded), { inverted: true }));
    expect(up.get('all')!).toBeGreaterThan(up.get('target')!);
    expect(down.get('all')!).toBeLessThan(down.get('chain')!);
    expect(down.get('chain')!).toBeLessThan(down.get('target')!);
    expect(down.get('chain')! - down.get('all')!).toBe(16);
    expect(renderFlameGraph(parseFolded(folded), { inverted: true })).toContain('>Icicle Graph</text>');
  });

  it('has the search controls: Search, Reset Search, Matched, Ctrl-F', () => {
    const svg = renderFlameGraph(parseFolded(folded));
    expect(svg).toContain('<text id="search" class="control"');
    expect(svg).toContain('<text id="unsearch" class="control"');
    expect(svg).toContain('<text id="matched"');
    expect(svg).toMatch(/ctrlKey[^\n]*askSearch/);
  });
});

describe('stackcount flame graph options', () => {
  it('--title, --width, --inverted with --svg; defaults 1200 and upright', () => {
    const o = parseOptions(['--svg', 'x.svg', '--title', 'T', '--width', '800', '--inverted', 't:sched:sched_switch'], 'stackcount');
    expect([o.title, o.width, o.inverted]).toEqual(['T', 800, true]);
    const d = parseOptions(['--svg', 'x.svg', 't:sched:sched_switch'], 'stackcount');
    expect([d.title, d.width, d.inverted]).toEqual([undefined, 1200, false]);
  });

  it('without --svg, or a width too small: a usage error', () => {
    for (const args of [['--title', 'T'], ['--width', '800'], ['--inverted'], ['--svg', 'x.svg', '--width', '10']]) {
      expect(() => parseOptions([...args, 't:sched:sched_switch'], 'stackcount'), args.join(' ')).toThrow(UsageError);
    }
  });
});
