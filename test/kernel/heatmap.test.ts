/**
 * funclatency --heatmap on real calls, rendered by headless Chromium: the SVG's cells add up
 * to the workload's calls, and every cell's pixels on screen have the colour it was given.
 * With CI=true, Chromium must be there (.ci/run installs it).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { skipKernel, requireKernel, start, inCI } from '../helpers/kernel.js';
import { chainExe, startChain } from './workloads/chain.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const N = 1000;

interface Image {
  readonly width: number;
  readonly height: number;
  pixel(x: number, y: number): [number, number, number];
}

/** A minimal PNG reader: 8-bit RGB or RGBA, not interlaced (what Chromium writes). */
export function decodePng(buf: Buffer): Image {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG (bit depth or interlace)');
      colorType = data[9]!;
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!bpp) throw new Error(`unsupported PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp]! : 0;
      const b = y > 0 ? px[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp]! : 0;
      let v = line[i]!;
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = v & 0xff;
    }
  }
  return { width, height, pixel: (x, y) => [px[y * stride + x * bpp]!, px[y * stride + x * bpp + 1]!, px[y * stride + x * bpp + 2]!] };
}

/** Screenshot a file in headless Chromium at exactly width x height CSS pixels. */
function screenshot(file: string, width: number, height: number, png: string, profile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        `--user-data-dir=${profile}`,
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        '--default-background-color=ffffffff',
        `--window-size=${width},${height}`,
        `--screenshot=${png}`,
        `file://${file}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (existsSync(png)) resolve();
      else reject(new Error(`chromium exited ${code} without a screenshot: ${log}`));
    });
  });
}

describe.skipIf(skipKernel || (!CHROMIUM && !inCI))('funclatency --heatmap rendered in Chromium (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
    chainExe();
  });

  it('cells add up to the calls, and each cell shows its colour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polytrace-heatmap-'));
    try {
      const svgFile = join(dir, 'lat.svg');
      const w = await startChain(N);
      const t = start('funclatency', ['-i', '1', '-d', '3', '--heatmap', svgFile, '-p', String(w.pid), `${chainExe()}:*`]);
      await t.waitFor(/Hit Ctrl-C to end\.\n/);
      await w.go();
      expect(await t.exited).toBe(0);
      await w.end();
      const svg = readFileSync(svgFile, 'utf8');
      const cells = [
        ...svg.matchAll(
          /<rect class="cell" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="#([0-9a-f]{6})" data-col="(\d+)" data-slot="(\d+)" data-count="(\d+)">/g,
        ),
      ].map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]!, h: +m[4]!, fill: m[5]!, col: +m[6]!, slot: +m[7]!, count: +m[8]! }));
      // target N times, a and b N times each (nesting overwrites without -l: see funclatency's
      // tests), fact once, sleep_1ms 5 times: the heat map holds what the text printed.
      const printed = [...t.stdout.matchAll(/count: (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
      expect(cells.reduce((a, c) => a + c.count, 0)).toBe(printed);
      expect(printed).toBeGreaterThanOrEqual(N);
      expect(new Set(cells.map((c) => c.col)).size).toBeGreaterThanOrEqual(1);
      // The 1 ms sleeps: a cell in slot 20 or 21 (2^19..2^21 ns).
      expect(cells.some((c) => c.slot >= 20 && c.slot <= 21)).toBe(true);

      const [, width, height] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
      const png = join(dir, 'lat.png');
      await screenshot(svgFile, width!, height!, png, join(dir, 'profile'));
      const img = decodePng(readFileSync(png));
      expect(img.width).toBe(width);
      for (const c of cells) {
        const want = [0, 2, 4].map((i) => parseInt(c.fill.slice(i, i + 2), 16));
        const got = img.pixel(Math.floor(c.x + c.w / 2), Math.floor(c.y + c.h / 2));
        for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - want[i]!), `cell ${JSON.stringify(c)}: pixel ${got}`).toBeLessThanOrEqual(3);
      }
      // Outside every cell, inside the plot: white.
      const plot = /<rect class="plot" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
      const [px, py, pw, ph] = plot.slice(1) as [number, number, number, number];
      for (let x = px + 1; x < px + pw; x += 3) {
        for (let y = py + 1; y < py + ph; y += 3) {
          if (cells.some((c) => x >= c.x - 1 && x <= c.x + c.w && y >= c.y - 1 && y <= c.y + c.h)) continue;
          expect(img.pixel(x, y)).toEqual([255, 255, 255]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
