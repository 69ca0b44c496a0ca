/**
 * The flame graph's script in a real browser (headless Chromium, no kernel): a copy of the SVG
 * gets a test script appended that clicks, searches (Ctrl-F and the Search control, with
 * window.prompt answered) and resets, and writes what it saw into the document, which
 * `chromium --dump-dom` prints. With CI=true, Chromium must be there (.ci/run installs it).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFolded, renderFlameGraph, SEARCH_COLOUR } from '../../../src/output/flamegraph.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const inCI = process.env.CI === 'true';

// 1000 samples: read 600 (in which read_inner 200, and read again nested under it 50),
// write 300 (read nested under write: 100), idle 100.
const folded = [
  'app;main;read;vfs_read 350',
  'app;main;read;read_inner;read 50',
  'app;main;read;read_inner;other 150',
  'app;main;read 50',
  'app;main;write;read 100',
  'app;main;write;vfs_write 200',
  'app;idle 100',
].join('\n');

/** What the test script reports, as JSON in <text id="result">. */
interface Seen {
  matchedAfterCtrlF: string;
  matchCount: number;
  matchFills: string[];
  otherFillsKept: boolean;
  matchedAfterSearchClick: string;
  afterReset: { matched: string; matchCount: number; fillsRestored: boolean };
  zoom: { width: number; inner: number; hiddenSiblings: number; ancestorsDimmed: number; childWidth: number };
  afterResetZoom: { width: number; hidden: number };
  badRegex: string;
}

const probe = `
<script type="text/ecmascript"><![CDATA[
(function () {
  var out = {};
  var answer = 'read';
  window.prompt = function () { return answer; };
  function q(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function byName(n) { return q('g.f').filter(function (g) { return g.getAttribute('data-n') === n; }); }
  function fillOf(g) { return g.querySelector('rect').getAttribute('fill'); }
  function click(el) { el.dispatchEvent(new MouseEvent('click', { bubbles: true })); }
  var matched = document.getElementById('matched');
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'f', ctrlKey: true, bubbles: true }));
  out.matchedAfterCtrlF = matched.textContent;
  out.matchCount = q('g.f.match').length;
  out.matchFills = q('g.f.match').map(fillOf);
  out.otherFillsKept = q('g.f:not(.match)').every(function (g) { return fillOf(g) === g.getAttribute('data-fill'); });
  click(document.getElementById('unsearch'));
  out.afterReset = { matched: matched.textContent, matchCount: q('g.f.match').length,
    fillsRestored: q('g.f').every(function (g) { return fillOf(g) === g.getAttribute('data-fill'); }) };
  answer = '^vfs_';
  click(document.getElementById('search'));
  out.matchedAfterSearchClick = matched.textContent;
  var w = byName('write')[0];
  click(w);
  var W = parseFloat(document.querySelector('svg').getAttribute('width')) - 20;
  out.zoom = {
    width: parseFloat(w.querySelector('rect').getAttribute('width')),
    inner: W,
    hiddenSiblings: byName('idle').concat(byName('vfs_read')).filter(function (g) { return g.classList.contains('hide'); }).length,
    ancestorsDimmed: byName('main').concat(byName('app')).filter(function (g) { return g.classList.contains('dim'); }).length,
    childWidth: parseFloat(byName('vfs_write')[0].querySelector('rect').getAttribute('width')),
  };
  click(document.getElementById('reset'));
  out.afterResetZoom = { width: parseFloat(w.querySelector('rect').getAttribute('width')), hidden: q('g.f.hide').length };
  answer = '(';
  click(document.getElementById('search'));
  out.badRegex = matched.textContent;
  var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  t.setAttribute('id', 'result');
  t.textContent = JSON.stringify(out);
  document.documentElement.appendChild(t);
})();
]]></script>
`;

function dumpDom(file: string, profile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${file}`,
      ],
      { timeout: 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`chromium: ${err.message}: ${stderr}`)) : resolve(stdout)),
    );
  });
}

describe.skipIf(!CHROMIUM && !inCI)('flame graph in headless Chromium: zoom, search, reset', () => {
  let dir: string;
  beforeAll(() => {
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
    dir = mkdtempSync(join(tmpdir(), 'polytrace-flame-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const inverted of [false, true]) {
    it(`${inverted ? 'inverted (icicle)' : 'flame'}: click zooms, Ctrl-F and Search highlight with Matched %, resets restore`, async () => {
      const svg = renderFlameGraph(parseFolded(folded), { title: 'T', width: 900, inverted });
      const file = join(dir, `fg-${inverted}.svg`);
      writeFileSync(file, svg.replace('</svg>', `${probe}</svg>`));
      const dom = await dumpDom(file, join(dir, `profile-${inverted}`));
      const m = /<text id="result">([^<]*)<\/text>/.exec(dom);
      expect(m, dom.slice(-2000)).not.toBeNull();
      const seen = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Seen;
      // 'read' matches read (600; vfs_read, read_inner and the read under it are nested in it:
      // not again) and the read under write (100): 700 of 1000 samples, each once.
      expect(seen.matchedAfterCtrlF).toBe('Matched: 70.0%');
      expect(seen.matchCount).toBe(5); // read, vfs_read, read_inner, read (nested), read (under write)
      expect(new Set(seen.matchFills)).toEqual(new Set([SEARCH_COLOUR]));
      expect(seen.otherFillsKept).toBe(true);
      expect(seen.afterReset).toEqual({ matched: ' ', matchCount: 0, fillsRestored: true });
      // vfs_read 350 + vfs_write 200.
      expect(seen.matchedAfterSearchClick).toBe('Matched: 55.0%');
      // Zoomed to write (300 of 1000): it and its child vfs_write (200 of its 300) fill the width.
      expect(seen.zoom.width).toBeCloseTo(seen.zoom.inner - 0.5, 1);
      expect(seen.zoom.childWidth).toBeCloseTo((seen.zoom.inner * 2) / 3 - 0.5, 1);
      expect(seen.zoom.hiddenSiblings).toBe(2);
      expect(seen.zoom.ancestorsDimmed).toBe(2);
      expect(seen.afterResetZoom.hidden).toBe(0);
      expect(seen.afterResetZoom.width).toBeCloseTo(seen.zoom.inner * 0.3 - 0.5, 1);
      expect(seen.badRegex).toBe('Bad regexp: (');
    }, 90_000);
  }
});
