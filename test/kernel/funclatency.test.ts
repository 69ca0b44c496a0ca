/**
 * funclatency against the real kernel, on the chain workload: exact call counts, each call
 * of the 1 ms function in the bucket of its own timed duration (-m and -u), BCC's sections
 * for user functions, nesting with -l, -p, --json, the error paths, and nothing left loaded.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipKernel, requireKernel, start, runTool, programsLeft, inCI } from '../helpers/kernel.js';
import { chainExe, startChain, type SleepTiming } from './workloads/chain.js';
import { log2Slot } from '../../src/output/log2hist.js';

const N = 1000;

const ours = (): Promise<string[]> => programsLeft(/^funclat/);

async function latencyWhile(args: string[], work: () => Promise<void>) {
  const tool = start('funclatency', args);
  if (args.includes('--json')) {
    // The banner goes to stderr, keeping stdout pure JSON.
    for (let i = 0; i < 300 && !tool.stderr.includes('Hit Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
  } else {
    await tool.waitFor(/Hit Ctrl-C to end\.\n/);
  }
  await work();
  tool.child.kill('SIGINT');
  const code = await tool.exited;
  return { code, stdout: tool.stdout, stderr: tool.stderr };
}

/** `{ low: count }` of every printed row of a histogram text block. */
function rows(block: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of block.split('\n')) {
    const r = /^\s*(\d+) -> (\d+)\s+: (\d+)\s+\|/.exec(line);
    if (r) m.set(Number(r[1]), Number(r[3]));
  }
  return m;
}

/** The printed low bound of the row BCC's log2 histogram puts a value in (0 -> 1, 2 -> 3, 4 -> 7, ...). */
function rowLow(v: number): number {
  const slot = log2Slot(BigInt(v));
  return slot === 1 ? 0 : 2 ** (slot - 1);
}

/**
 * Matches histogram rows to timed calls, each call allowed any row between those of its
 * inner and outer duration (in the unit): returns the calls no row is left for (empty
 * when the histogram is exactly explained). Greedy by upper row is optimal for intervals.
 */
function unexplained(hist: Map<number, number>, timings: SleepTiming[], div: number): SleepTiming[] {
  const left = new Map(hist);
  const byUpper = [...timings].sort((x, y) => x.outerNs - y.outerNs);
  return byUpper.filter((t) => {
    const lo = rowLow(Math.floor(t.innerNs / div));
    const hi = rowLow(Math.floor(t.outerNs / div));
    const row = [...left.keys()].filter((k) => k >= lo && k <= hi && left.get(k)! > 0).sort((x, y) => x - y)[0];
    if (row === undefined) return true;
    left.set(row, left.get(row)! - 1);
    return false;
  });
}

function sum(m: Map<number, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

/** Sections by title (`Function = x [pid]`). */
function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^Function = (.*)$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}

describe.skipIf(skipKernel)('funclatency (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    chainExe();
  });

  it('-p: exactly N calls of target, one histogram, avg line, Detaching', async () => {
    const w = await startChain(N);
    const r = await latencyWhile(['-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Tracing 1 functions for ".*:target"\.\.\. Hit Ctrl-C to end\.\n\n {5}nsecs {15}: count {5}distribution\n/);
    expect(sum(rows(r.stdout))).toBe(N);
    expect(r.stdout).toMatch(new RegExp(`\\navg = \\d+ nsecs, total: \\d+ nsecs, count: ${N}\\n\\nDetaching\\.\\.\\.\\n$`));
    expect(r.stdout).not.toContain('Function =');
    expect(await ours()).toEqual([]);
  });

  it('-m and -u: each sleep_1ms call lands in the bucket of its own measured duration; totals agree', async () => {
    for (const [flag, unit, div] of [
      ['-m', 'msecs', 1_000_000],
      ['-u', 'usecs', 1000],
    ] as const) {
      const w = await startChain(10);
      const r = await latencyWhile([flag, '-p', String(w.pid), `${chainExe()}:sleep_1ms`], () => w.go());
      await w.end();
      const timings = w.sleeps();
      expect(timings).toHaveLength(5);
      expect(r.stdout).toMatch(new RegExp(`^ {5}${unit} {15}: count {5}distribution$`, 'm'));
      const hist = rows(r.stdout);
      expect(sum(hist)).toBe(5);
      // Entry-to-return of each call lies between the workload's own timings inside the
      // function and around the call, so each must fall in one of that range's buckets.
      expect(unexplained(hist, timings, div), `${flag} ${JSON.stringify(timings)}\n${r.stdout}`).toEqual([]);
      const total = Number(new RegExp(`^avg = \\d+ ${unit}, total: (\\d+) ${unit}, count: 5$`, 'm').exec(r.stdout)?.[1]);
      // BCC sums nanoseconds and divides the total once (Python's float division, printed by %ld).
      expect(total).toBeGreaterThanOrEqual(Math.floor(timings.reduce((a, t) => a + t.innerNs, 0) / div));
      expect(total).toBeLessThanOrEqual(Math.floor(timings.reduce((a, t) => a + t.outerNs, 0) / div));
    }
  });

  it('user functions without -p: one section per function and process; nesting overwrites without -l', async () => {
    const w = await startChain(N, 5);
    const r = await latencyWhile([`${chainExe()}:*`], () => w.go());
    await w.end();
    const s = sections(r.stdout);
    expect(sum(rows(s.get(`target [${w.pid}]`)!))).toBe(N);
    // a -> b -> target: the innermost entry overwrote the outer ones (BCC's behaviour).
    expect(s.has(`a [${w.pid}]`)).toBe(false);
    expect(sum(rows(s.get(`fact [${w.pid}]`)!))).toBe(1);
    expect(sum(rows(s.get(`sleep_1ms [${w.pid}]`)!))).toBe(5);
  });

  it('-l 8: nested and recursive calls are each timed', async () => {
    const w = await startChain(N, 5);
    const r = await latencyWhile(['-l', '8', '-F', `${chainExe()}:*`], () => w.go());
    await w.end();
    const s = sections(r.stdout);
    for (const f of ['a', 'b', 'target']) expect(sum(rows(s.get(`${f} [${w.pid}]`)!)), f).toBe(N);
    expect(sum(rows(s.get(`fact [${w.pid}]`)!))).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`count: ${3 * N + 5 + 5}\\n`));
  });

  it('--json: one document per interval with bounded buckets', async () => {
    const w = await startChain(N);
    const r = await latencyWhile(['--json', '-u', '-p', String(w.pid), `${chainExe()}:target`], () => w.go());
    await w.end();
    const docs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ tool: 'funclatency', unit: 'usecs', count: N });
    const buckets = docs[0].histograms[0].buckets as Array<{ lo: number; hi: number; count: number }>;
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(N);
    expect(buckets[0]).toMatchObject({ lo: 0, hi: 1 });
  });

  it('-T -i 1 -d 2: two blocks with time stamps, maps cleared between them', async () => {
    const w = await startChain(N);
    const tool = start('funclatency', ['-T', '-i', '1', '-d', '2', '-p', String(w.pid), `${chainExe()}:target`]);
    await tool.waitFor(/Hit Ctrl-C to end\.\n/);
    await w.go();
    const code = await tool.exited;
    await w.end();
    expect(code).toBe(0);
    expect(tool.stdout.match(/^\d\d:\d\d:\d\d\s*$/gm)).toHaveLength(2);
    const counts = [...tool.stdout.matchAll(/count: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N);
    expect(tool.stdout.endsWith('Detaching...\n')).toBe(true);
  });

  const cgroup2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(`${d}/cgroup.procs`) && existsSync(`${d}/cgroup.controllers`));
  it.skipIf(!cgroup2 && !inCI)('-c CGROUP: only tasks under that cgroup v2 directory', async () => {
    const inside = `${cgroup2}/polytrace_fl_in`;
    const empty = `${cgroup2}/polytrace_fl_empty`;
    mkdirSync(inside, { recursive: true });
    mkdirSync(empty, { recursive: true });
    try {
      const w = await startChain(N);
      writeFileSync(`${inside}/cgroup.procs`, String(w.pid));
      const other = start('funclatency', ['-c', empty, `${chainExe()}:target`]);
      await other.waitFor(/Hit Ctrl-C to end\.\n/);
      const r = await latencyWhile(['-c', inside, `${chainExe()}:target`], () => w.go());
      other.child.kill('SIGINT');
      await other.exited;
      await w.end();
      expect(sum(rows(r.stdout))).toBe(N);
      expect(other.stdout).not.toContain('count:');
    } finally {
      rmdirSync(inside);
      rmdirSync(empty);
    }
  });

  it('--heatmap into a missing directory: one line, exit 2, nothing attached', async () => {
    const r = await runTool('funclatency', ['-i', '1', '--heatmap', '/nonexistent/h.svg', `${chainExe()}:target`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^funclatency: argument --heatmap: cannot write \/nonexistent\/h\.svg: directory \/nonexistent does not exist \(ENOENT\) \(.*\)\n$/,
    );
    expect(r.stdout).toBe('');
  });

  it('--heatmap whose directory goes away while tracing: one stderr line, the histogram on stdout, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'funclatency-gone-'));
    const file = join(dir, 'h.svg');
    const w = await startChain(N);
    const r = await latencyWhile(['-i', '60', '--heatmap', file, '-p', String(w.pid), `${chainExe()}:target`], async () => {
      await w.go();
      rmSync(dir, { recursive: true });
    });
    await w.end();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `funclatency: cannot write ${file}: directory ${dir} does not exist (ENOENT): the heat map was not written; the text report is on stdout\n`,
    );
    expect(r.stdout).toMatch(/avg = \d+ nsecs, total: \d+ nsecs, count: 1000\n/);
    expect(r.stdout).toContain('Detaching...');
    expect(await ours()).toEqual([]);
  });

  it('errors: kernel functions (no kprobes here), no match, bad patterns: one line, exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['vfs_read'], /kernel function/],
      [[`${chainExe()}:nomatch_here`], /0 functions matched by ".*:nomatch_here" in \/.*\. Exiting\./],
      [['t:sched:sched_switch'], /unrecognized pattern format 't:sched:sched_switch'/],
      [['-p', '999999', 'c:read'], /no process with PID 999999/],
    ];
    for (const [args, msg] of cases) {
      const r = await runTool('funclatency', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await runTool('funclatency', ['-l', '99', 'c:read'])).code).toBe(2);
    expect(await ours()).toEqual([]);
  });
});
