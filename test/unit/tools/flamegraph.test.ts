/** The flame graph: layout proportional to counts, and a self-contained interactive SVG. */
import { describe, it, expect } from 'vitest';
import { layoutFlameGraph, parseFolded, renderFlameGraph } from '../../../src/output/flamegraph.js';

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
});
