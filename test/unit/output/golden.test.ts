/**
 * Real BCC 0.26 outputs (see golden/README.md): the numbers are parsed back out of each
 * file, fed to our renderers, and the result must equal the file byte for byte (after the
 * substitution of the two 0.26 bytes-repr bugs we deliberately fix).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderArgdistFreq, renderArgdistHist, renderArgdistIntervalHeader } from '../../../src/output/argdist.js';
import { DETACHING, renderFunccountBanner, renderFunccountTable } from '../../../src/output/funccount.js';
import { renderFunclatencyInterval } from '../../../src/output/funclatency.js';
import { renderLibbpfLog2Hist, type HistSection } from '../../../src/output/log2hist.js';
import { renderStackcountInterval, type StackcountEntry } from '../../../src/output/stackcount.js';
import { renderTraceEvent, renderTraceHeader } from '../../../src/output/trace.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const golden = (name: string) => readFileSync(join(dir, name), 'utf8');

const HIST_HEADER = /^ +(.*?) +: count {5}distribution$/;
const HIST_ROW = /^ *(\d+) -> (\d+) +: (\d+) +\|[* ]*\|$/;

/** Parse consecutive histogram rows starting at lines[i] (the header). */
function parseHist(lines: string[], i: number): { label: string; slots: bigint[]; next: number } {
  const h = HIST_HEADER.exec(lines[i]!);
  if (!h) throw new Error(`not a histogram header: ${lines[i]}`);
  const slots = new Array<bigint>(65).fill(0n);
  let j = i + 1;
  for (let m; j < lines.length && (m = HIST_ROW.exec(lines[j]!)); j++) {
    slots[BigInt(m[2]!).toString(2).length] = BigInt(m[3]!);
  }
  return { label: h[1]!, slots, next: j };
}

function timeOf(hms: string): Date {
  const [h, m, s] = hms.split(':').map(Number);
  return new Date(2024, 0, 1, h!, m!, s!);
}

describe('golden BCC 0.26 outputs', () => {
  it('funccount -d 3 c:mall*', () => {
    const text = golden('funccount-c-malloc.txt');
    const rows = text
      .split('\n')
      .map((l) => /^(\S+) +(\d+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1]!, count: BigInt(m[2]!) }));
    expect(rows).toHaveLength(2);
    const input = [{ name: '_int_malloc', count: 0n }, ...rows.reverse()];
    expect(renderFunccountBanner(10, 'c:mall*') + renderFunccountTable(input) + DETACHING).toBe(text.replace(`"b'c:mall*'"`, '"c:mall*"'));
  });

  it('funccount -T -i 2 (three intervals)', () => {
    const text = golden('funccount-T-interval.txt');
    const blocks = text.split('\n\n').slice(1);
    let out = renderFunccountBanner(1, 'c:malloc_c*');
    for (const b of blocks) {
      const lines = b.split('\n');
      const m = /^(\S+) +(\d+)$/.exec(lines[2]!)!;
      out += renderFunccountTable([{ name: m[1]!, count: BigInt(m[2]!) }], { timestamp: timeOf(lines[0]!) });
    }
    expect(out + DETACHING).toBe(text.replace(`"b'c:malloc_c*'"`, '"c:malloc_c*"'));
  });

  it('argdist -C with -T 5 and two -H histograms', () => {
    const text = golden('argdist-freq-hist.txt');
    const lines = text.split('\n');
    const rows = lines
      .slice(3, 8)
      .map((l) => /^\t(\d+) +(.*)$/.exec(l)!)
      .map((m) => ({ count: BigInt(m[1]!), key: m[2]! }));
    const h1 = parseHist(lines, 8);
    const h2 = parseHist(lines, h1.next);
    const out =
      renderArgdistIntervalHeader(timeOf(lines[0]!.slice(1, -1))) +
      renderArgdistFreq(lines[1]!, [{ count: 3n, key: 'size = 4096' }, ...rows.reverse(), { count: 1n, key: 'size = 1' }], 5) +
      renderArgdistHist(h1.label, h1.slots) +
      renderArgdistHist(h2.label, h2.slots);
    expect(h2.label).toBe('alloc size');
    expect(out).toBe(text);
  });

  it('argdist wide histogram (idx_max > 32)', () => {
    const text = golden('argdist-wide-hist.txt');
    const lines = text.split('\n');
    const h = parseHist(lines, 1);
    expect(h.slots.findLastIndex((v) => v > 0n)).toBeGreaterThan(32);
    expect(renderArgdistIntervalHeader(timeOf(lines[0]!.slice(1, -1))) + renderArgdistHist(h.label, h.slots)).toBe(text);
  });

  it('funclatency -u c:malloc (sections per process, avg line)', () => {
    const text = golden('funclatency-sections.txt');
    const lines = text.split('\n');
    const sections: HistSection[] = [];
    let i = 0;
    while (i < lines.length) {
      const m = /^Function = (.*)$/.exec(lines[i]!);
      if (!m) {
        i++;
        continue;
      }
      const h = parseHist(lines, i + 1);
      sections.push({ title: m[1]!, slots: h.slots });
      i = h.next;
    }
    const avg = /^avg = \d+ usecs, total: (\d+) usecs, count: (\d+)$/m.exec(text)!;
    const out =
      renderFunccountBanner(1, 'c:malloc') +
      renderFunclatencyInterval({
        unit: 'usecs',
        hist: sections,
        totalNs: BigInt(avg[1]!) * 1000n + 999n,
        count: BigInt(avg[2]!),
      }) +
      DETACHING;
    expect(sections.length).toBeGreaterThan(3);
    expect(out).toBe(text);
  });

  it('stackcount -P (comm lines; 0.26 prints them as bytes repr)', () => {
    const text = golden('stackcount-P.txt');
    const blocks = text.split('\n\n').slice(1, -1);
    const entries: StackcountEntry[] = blocks.map((b) => {
      const lines = b.split('\n');
      const comm = /^ {4}b'(.*)' \[(\d+)\]$/.exec(lines[lines.length - 2]!)!;
      return {
        kernel: [],
        user: lines.slice(0, -2).map((l, k) => ({ addr: BigInt(k), name: l.slice(2) })),
        comm: comm[1]!,
        tgid: Number(comm[2]),
        count: BigInt(lines[lines.length - 1]!.trim()),
      };
    });
    expect(entries).toHaveLength(8);
    const out = renderFunccountBanner(1, 'c:malloc_consolidate') + renderStackcountInterval(entries, {}) + DETACHING;
    expect(out).toBe(text.replace(/^ {4}b'(.*)' \[/gm, '    $1 ['));
  });

  it('stackcount -f -P -d (folded)', () => {
    const text = golden('stackcount-folded.txt');
    const entries: StackcountEntry[] = text
      .trimEnd()
      .split('\n')
      .map((l) => {
        const m = /^(.*) (\d+)$/.exec(l)!;
        const [comm, ...rest] = m[1]!.split(';');
        const cut = rest.indexOf('-');
        const names = (xs: string[]) => xs.map((name, k) => ({ addr: BigInt(k), name })).reverse();
        return {
          comm: comm!,
          user: names(rest.slice(0, cut)),
          kernel: names(rest.slice(cut + 1)),
          tgid: 1,
          count: BigInt(m[2]!),
        };
      });
    expect(renderStackcountInterval(entries, { folded: true, delimited: true })).toBe(text);
  });

  it('trace -T default action, and the -t -C header', () => {
    const text = golden('trace-T-default.txt');
    const lines = text.split('\n').slice(0, -1);
    let out = renderTraceHeader({ time: true, anyFormat: false });
    for (const l of lines.slice(1)) {
      const m = /^(\S+) (\d+) +(\d+) +(\S+) +(\S+) $/.exec(l)!;
      out += renderTraceEvent({ time: m[1]!, tgid: Number(m[2]), tid: Number(m[3]), comm: m[4]!, func: m[5]!, message: '' });
    }
    expect(out).toBe(text);
    expect(renderTraceHeader({ time: true, cpu: true, anyFormat: true })).toBe(golden('trace-header-t-C.txt'));
  });

  it('libbpf-tools funclatency histogram (rows from 0, "count    distribution")', () => {
    const text = golden('libbpf-funclatency.txt');
    const lines = text.split('\n');
    const header = / +(.*?) +: count {4}distribution$/.exec(lines[2]!)!;
    const slots: bigint[] = [];
    for (const l of lines.slice(3)) {
      const m = /^ *(\d+) -> (\d+) +: (\d+) +\|/.exec(l);
      if (m) slots.push(BigInt(m[3]!));
    }
    const ours = renderLibbpfLog2Hist(slots, header[1]!).split('\n');
    const theirs = lines.slice(2, 2 + slots.length + 1);
    expect(ours[0]).toBe(theirs[0]);
    expect(ours.slice(0, -1)).toHaveLength(theirs.length);
    theirs.forEach((l, k) => {
      if (!l.includes('+')) expect(ours[k]).toBe(l);
    });
  });
});
