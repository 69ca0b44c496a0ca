/**
 * A self-contained interactive flame graph (`--svg FILE`) from folded stacks: one SVG file
 * with its own small script, no external resources. As in Brendan Gregg's flamegraph.pl:
 *
 * - hovering a frame shows its name, count and share in the status line (and a tooltip);
 * - clicking a frame zooms to it (its ancestors stay, dimmed, across the full width);
 *   "Reset Zoom" or Escape returns to the whole graph;
 * - "Search" or Ctrl-F asks for a regular expression and paints the frames whose names match
 *   it in a colour of their own, then shows "Matched: N%": the share of the root's total in
 *   matching frames, each sample counted once even where matches nest (a matching frame under
 *   another adds nothing); "Reset Search" clears it.
 *
 * Layout: the root ("all") at the bottom, callees stacked above their callers (or the root at
 * the top with `inverted`, an icicle graph), siblings sorted by name, widths proportional to
 * counts.
 */

export interface FoldedStack {
  /** Root first (as in a folded line after the comm). */
  readonly frames: readonly string[];
  readonly count: bigint;
}

interface Node {
  readonly name: string;
  count: bigint;
  readonly children: Map<string, Node>;
}

export interface FlameGraphOptions {
  readonly title?: string;
  /** Of the whole image, in px (flamegraph.pl's default: 1200). */
  readonly width?: number;
  /** Root at the top, callees below their callers (flamegraph.pl's --inverted). */
  readonly inverted?: boolean;
  readonly frameHeight?: number;
  /** Unit of the counts in tooltips ("samples"). */
  readonly countName?: string;
}

export interface FlameRect {
  readonly name: string;
  readonly depth: number;
  /** Samples left of this frame (x as a count, so searches add up exactly). */
  readonly start: bigint;
  /** Fraction of the total, 0..1. */
  readonly x: number;
  readonly w: number;
  readonly count: bigint;
}

/** Parses `comm;a;b;c 12` lines (the `-f` output) into stacks. */
export function parseFolded(text: string): FoldedStack[] {
  const out: FoldedStack[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (!m) continue;
    out.push({ frames: m[1]!.split(';').filter((f, i) => f !== '' || i > 0), count: BigInt(m[2]!) });
  }
  return out;
}

function buildTree(stacks: readonly FoldedStack[]): Node {
  const root: Node = { name: 'all', count: 0n, children: new Map() };
  for (const s of stacks) {
    if (s.count <= 0n) continue;
    root.count += s.count;
    let n = root;
    for (const f of s.frames) {
      let c = n.children.get(f);
      if (!c) n.children.set(f, (c = { name: f, count: 0n, children: new Map() }));
      c.count += s.count;
      n = c;
    }
  }
  return root;
}

/** Every frame's rectangle: depth 0 is the root; x and w are fractions of the root. */
export function layoutFlameGraph(stacks: readonly FoldedStack[]): FlameRect[] {
  const root = buildTree(stacks);
  const out: FlameRect[] = [];
  if (root.count === 0n) return out;
  const total = Number(root.count);
  const walk = (n: Node, depth: number, x: bigint): void => {
    out.push({ name: n.name, depth, start: x, x: Number(x) / total, w: Number(n.count) / total, count: n.count });
    let cx = x;
    for (const c of [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      walk(c, depth + 1, cx);
      cx += c.count;
    }
  };
  walk(root, 0, 0n);
  return out;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stable warm colour per name (flamegraph.pl's "hot" palette, hashed instead of random). */
function colour(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const r = 205 + (h % 50);
  const g = (h >>> 8) % 230;
  const b = (h >>> 16) % 55;
  return `rgb(${r},${g},${b})`;
}

const FONT_SIZE = 12;
const CHAR_W = FONT_SIZE * 0.59;
const PAD = 10;

function fit(name: string, px: number): string {
  const n = Math.floor((px - 6) / CHAR_W);
  if (n < 3) return '';
  return name.length <= n ? name : `${name.slice(0, n - 2)}..`;
}

export const DEFAULT_WIDTH = 1200;
/** The colour of frames that match a search (flamegraph.pl's). */
export const SEARCH_COLOUR = 'rgb(230,0,230)';

/** The whole SVG document. */
export function renderFlameGraph(stacks: readonly FoldedStack[], o: FlameGraphOptions = {}): string {
  const width = o.width ?? DEFAULT_WIDTH;
  const fh = o.frameHeight ?? 16;
  const inverted = o.inverted ?? false;
  const countName = o.countName ?? 'samples';
  const rects = layoutFlameGraph(stacks);
  const maxDepth = rects.reduce((m, r) => Math.max(m, r.depth), 0);
  const top = PAD * 3 + FONT_SIZE;
  const height = top + (maxDepth + 1) * fh + PAD * 3 + FONT_SIZE;
  const inner = width - 2 * PAD;
  const total = rects[0]?.count ?? 0n;
  const base = top + maxDepth * fh;
  const yOf = (depth: number) => (inverted ? top + depth * fh : base - depth * fh);
  let frames = '';
  for (const r of rects) {
    const x = PAD + r.x * inner;
    const w = r.w * inner;
    const y = yOf(r.depth);
    const pct = total === 0n ? 0 : (Number(r.count) * 100) / Number(total);
    const label = `${r.name} (${r.count} ${countName}, ${pct.toFixed(2)}%)`;
    const fill = colour(r.name);
    frames +=
      `<g class="f" data-x="${r.x}" data-w="${r.w}" data-d="${r.depth}" data-s="${r.start}" data-n="${esc(r.name)}" data-c="${r.count}" data-fill="${fill}">` +
      `<title>${esc(label)}</title>` +
      `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(w - 0.5, 0.1).toFixed(2)}" height="${fh - 1}" fill="${fill}" rx="2"/>` +
      `<text x="${(x + 3).toFixed(2)}" y="${y + fh - 4}">${esc(fit(r.name, w))}</text></g>\n`;
  }
  const title = o.title ?? (inverted ? 'Icicle Graph' : 'Flame Graph');
  return `<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg" data-total="${total}" data-count-name="${esc(countName)}" data-inverted="${inverted}">
<style>
text { font-family: Verdana, sans-serif; font-size: ${FONT_SIZE}px; fill: #000; }
.f { cursor: pointer; }
.f:hover rect { stroke: #000; stroke-width: 0.5; }
.f.dim rect { opacity: 0.5; }
.f.hide { display: none; }
#title { font-size: 17px; text-anchor: middle; }
.control { cursor: pointer; }
#reset, #unsearch { opacity: 0; }
#reset.on, #unsearch.on { opacity: 1; }
#search, #unsearch, #matched { text-anchor: end; }
#matched { opacity: 0; }
#matched.on { opacity: 1; }
</style>
<rect x="0" y="0" width="${width}" height="${height}" fill="#f8f8f8"/>
<text id="title" x="${width / 2}" y="${PAD * 2 + 4}">${esc(title)}</text>
<text id="reset" class="control" x="${PAD}" y="${PAD * 2 + 4}">Reset Zoom</text>
<text id="search" class="control" x="${width - PAD}" y="${PAD * 2 + 4}">Search</text>
<text id="unsearch" class="control" x="${width - PAD - 70}" y="${PAD * 2 + 4}">Reset Search</text>
<text id="details" x="${PAD}" y="${height - PAD}"> </text>
<text id="matched" x="${width - PAD}" y="${height - PAD}"> </text>
<g id="frames">
${frames}</g>
<script type="text/ecmascript"><![CDATA[
(function () {
  var W = ${inner}, PAD = ${PAD}, CW = ${CHAR_W}, TOTAL = ${Number(total)}, HIT = '${SEARCH_COLOUR}';
  var svg = document.documentElement;
  var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var details = document.getElementById('details');
  var reset = document.getElementById('reset');
  var matched = document.getElementById('matched');
  var unsearch = document.getElementById('unsearch');
  function fit(name, px) {
    var n = Math.floor((px - 6) / CW);
    if (n < 3) return '';
    return name.length <= n ? name : name.slice(0, n - 2) + '..';
  }
  function num(g, k) { return parseFloat(g.getAttribute('data-' + k)); }
  function zoom(target) {
    var x0 = target ? num(target, 'x') : 0, w0 = target ? num(target, 'w') : 1, d0 = target ? num(target, 'd') : 0;
    frames.forEach(function (g) {
      var x = num(g, 'x'), w = num(g, 'w'), d = num(g, 'd');
      var r = g.querySelector('rect'), t = g.querySelector('text');
      var inside = x >= x0 - 1e-12 && x + w <= x0 + w0 + 1e-12;
      var ancestor = d < d0 && x <= x0 + 1e-12 && x + w >= x0 + w0 - 1e-12;
      g.classList.toggle('hide', !(inside || ancestor));
      g.classList.toggle('dim', ancestor);
      if (!(inside || ancestor)) return;
      var px = ancestor ? W : (w / w0) * W;
      var left = ancestor ? PAD : PAD + ((x - x0) / w0) * W;
      r.setAttribute('x', left.toFixed(2));
      r.setAttribute('width', Math.max(px - 0.5, 0.1).toFixed(2));
      t.setAttribute('x', (left + 3).toFixed(2));
      t.textContent = fit(g.getAttribute('data-n'), px);
    });
    reset.classList.toggle('on', !!target);
  }
  // Paint the frames whose names match re; the matched share counts each sample once: of
  // the matching frames' [start, start + count) intervals, nested ones add nothing.
  function search(re) {
    var spans = [];
    frames.forEach(function (g) {
      var hit = re !== null && re.test(g.getAttribute('data-n'));
      g.classList.toggle('match', hit);
      g.querySelector('rect').setAttribute('fill', hit ? HIT : g.getAttribute('data-fill'));
      if (hit) spans.push([num(g, 's'), num(g, 'c')]);
    });
    if (re === null) {
      matched.classList.remove('on');
      unsearch.classList.remove('on');
      matched.textContent = ' ';
      return;
    }
    spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var sum = 0, end = 0;
    spans.forEach(function (s) {
      var a = Math.max(s[0], end), b = s[0] + s[1];
      if (b > a) { sum += b - a; end = b; }
    });
    var pct = TOTAL > 0 ? (100 * sum) / TOTAL : 0;
    matched.textContent = 'Matched: ' + pct.toFixed(1) + '%';
    matched.classList.add('on');
    unsearch.classList.add('on');
  }
  function askSearch() {
    var text = window.prompt('Enter a search term (regexp allowed, e.g. ^ext4_)', '');
    if (text === null || text === '') return;
    var re;
    try { re = new RegExp(text); } catch (e) { matched.textContent = 'Bad regexp: ' + text; matched.classList.add('on'); return; }
    search(re);
  }
  frames.forEach(function (g) {
    g.addEventListener('mouseover', function () { details.textContent = g.querySelector('title').textContent; });
    g.addEventListener('mouseout', function () { details.textContent = ' '; });
    g.addEventListener('click', function () { zoom(num(g, 'd') === 0 ? null : g); });
  });
  reset.addEventListener('click', function () { zoom(null); });
  document.getElementById('search').addEventListener('click', askSearch);
  unsearch.addEventListener('click', function () { search(null); });
  window.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') zoom(null);
    else if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); askSearch(); }
  });
  window.flamegraph = { zoom: zoom, search: search, frames: frames };
})();
]]></script>
</svg>
`;
}
