/**
 * argdist against the real kernel: exact counts and buckets from a deterministic workload
 * (test/kernel/workloads/argwork.c) on uprobes and uretprobes, strings, tuples, filters,
 * $entry/$latency, -T -c -n -i, a tracepoint field, a USDT probe of Python, --json, and the
 * message for kernel functions on a kernel that cannot probe them.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skipKernel, requireKernel, start, runTool, root, programsLeft, freqTotals, type Running } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';

let exe = '';

interface Work {
  readonly pid: number;
  run(cmd: string): Promise<void>;
  end(): Promise<void>;
}

function startWork(): Promise<Work> {
  const child: ChildProcessWithoutNullStreams = spawn(exe, []);
  let out = '';
  let dones = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const count = () => out.split('\n').filter((l) => l === 'done').length;
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pred()) {
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', (c) => (pred() ? resolve() : reject(new Error(`argwork exited ${c}: ${out}`))));
      check();
    });
  return until(() => /ready \d+/.test(out)).then(() => ({
    pid: Number(/ready (\d+)/.exec(out)![1]),
    run: (cmd: string) => {
      const want = ++dones;
      child.stdin.write(`${cmd}\n`);
      return until(() => count() >= want);
    },
    end: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.stdin.write('end\n');
      }),
  }));
}

const TS = /^\[\d\d:\d\d:\d\d\]$/gm;

function intervals(stdout: string): number {
  return (stdout.match(TS) ?? []).length;
}

/** Wait until `n` interval headers have been printed. */
async function waitIntervals(t: Running, n: number): Promise<void> {
  await t.waitFor(new RegExp(`(?:^\\[\\d\\d:\\d\\d:\\d\\d\\]$[\\s\\S]*){${n}}`, 'm'), 30_000);
}

/** Sum of histogram rows (`lo -> hi`) under the header labelled `label`, over every interval. */
function histTotals(stdout: string, label: string): Map<string, number> {
  const rows = new Map<string, number>();
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`     ${label.padEnd(19)} : count     distribution`)) continue;
    for (let k = i + 1; k < lines.length; k++) {
      const m = /^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|/.exec(lines[k]!);
      if (!m) break;
      const key = `${m[1]} -> ${m[2]}`;
      rows.set(key, (rows.get(key) ?? 0) + Number(m[3]));
    }
  }
  for (const [k, v] of [...rows]) if (v === 0) rows.delete(k);
  return rows;
}

/** Run argdist, wait for it to print its first interval (attached), drive the workload, wait two more intervals, stop. */
async function during(args: string[], work: (w: Work) => Promise<void>, opts: { after?: number; workload?: Work } = {}) {
  const w = opts.workload ?? (await startWork());
  const t = start('argdist', args);
  await waitIntervals(t, 1);
  await work(w);
  const seen = intervals(t.stdout);
  await waitIntervals(t, seen + (opts.after ?? 2));
  t.child.kill('SIGINT');
  const code = await t.exited;
  if (!opts.workload) await w.end();
  return { code, stdout: t.stdout, stderr: t.stderr, pid: w.pid };
}

describe.skipIf(skipKernel)('argdist (kernel)', () => {
  beforeAll(() => {
    requireKernel();
    exe = buildC('argwork', readFileSync(join(root, 'test', 'kernel', 'workloads', 'argwork.c'), 'utf8'), ['-O1']);
  });

  it('-C counts a uprobe argument exactly; -H puts it in the right buckets; -C before -H', async () => {
    const c = `p:${exe}:take_size(size_t n):size_t:n`;
    const r = await during(['-H', `p:${exe}:take_size(size_t n):size_t:n`, '-C', c], (w) => w.run('sizes'));
    expect(r.code).toBe(0);
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({ 'n = 16': 100, 'n = 32': 50, 'n = 4096': 7 });
    expect(Object.fromEntries(histTotals(r.stdout, 'n'))).toEqual({ '16 -> 31': 100, '32 -> 63': 50, '4096 -> 8191': 7 });
    // The frequency section of an interval comes before the histogram.
    const block = r.stdout.split(TS).find((b) => b.includes('n = 16'))!;
    expect(block.indexOf(c)).toBeLessThan(block.indexOf('     n                   : count     distribution'));
    // Rows ascending by count, BCC's exact layout.
    expect(block).toContain(`${c}\n\tCOUNT      EVENT\n\t7          n = 4096\n\t50         n = 32\n\t100        n = 16\n`);
    expect(block).toContain('        16 -> 31         : 100      |****************************************|\n');
    expect(await programsLeft(/^argdist/)).toEqual([]);
  });

  it('default expression: "total calls" for p, "retval = N" for r', async () => {
    const p = `p:${exe}:take_size()`;
    const r = `r:${exe}:take_size()#returns`;
    const out = await during(['-C', p, '-C', r], (w) => w.run('sizes'));
    expect(Object.fromEntries(freqTotals(out.stdout, p))).toEqual({ 'total calls': 157 });
    expect(Object.fromEntries(freqTotals(out.stdout, 'returns'))).toEqual({ 'retval = 17': 100, 'retval = 33': 50, 'retval = 4097': 7 });
  });

  it('a filter keeps only matching events', async () => {
    const c = `p:${exe}:take_size(size_t n):size_t:n:n>16`;
    const r = await during(['-C', c], (w) => w.run('sizes'));
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({ 'n = 32': 50, 'n = 4096': 7 });
  });

  it("string keys from a function returning known strings (text, not b'…')", async () => {
    const c = `r:${exe}:name_of():char*:$retval`;
    const r = await during(['-C', c], (w) => w.run('names'));
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({ '$retval = alpha': 3, '$retval = beta': 5, '$retval = gamma': 7 });
  });

  it('tuple keys, with -z limiting the string size, and #label as the title', async () => {
    const c = `p:${exe}:take2(int a, char *s):int,char*:a,s#pairs`;
    const r = await during(['-z', '3', '-C', c], (w) => w.run('tuples'));
    expect(Object.fromEntries(freqTotals(r.stdout, 'pairs'))).toEqual({ 'a = 1, s = on': 2, 'a = 2, s = tw': 4, 'a = 1, s = tw': 6 });
  });

  it('$entry pairs each return with its own entry value', async () => {
    const c = `r:${exe}:pair(int x):int,int:$entry(x),$retval`;
    const r = await during(['-C', c], (w) => w.run('pairs'));
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({
      'x = 1, $retval = 11': 1,
      'x = 2, $retval = 21': 2,
      'x = 3, $retval = 31': 3,
      'x = 4, $retval = 41': 4,
    });
  });

  /** Every count at or above `lo`, and how many in all. */
  function atLeast(rows: Map<string, number>, lo: number): { below: number; total: number } {
    let below = 0;
    let total = 0;
    for (const [k, v] of rows) {
      total += v;
      if (Number(k.split(' ')[0]) < lo) below += v;
    }
    return { below, total };
  }

  it('$latency of a function that sleeps 1.5 ms lands in 1048576 -> 2097151 ns (or above, when the machine is busy)', async () => {
    const h = `r:${exe}:sleepy(long us):u64:$latency`;
    const r = await during(['-H', h], (w) => w.run('sleep 1500 20'));
    const rows = histTotals(r.stdout, '$latency');
    // A sleep never returns early; a loaded machine can wake it late, never in a lower bucket.
    expect(atLeast(rows, 1048576)).toEqual({ below: 0, total: 20 });
    expect(rows.get('1048576 -> 2097151')).toBeGreaterThan(0);
  });

  it('$latency with a filter on $entry', async () => {
    const h = `r:${exe}:sleepy(long us):u64:$latency/1000:$entry(us)>1000#usecs`;
    const r = await during(['-H', h], async (w) => {
      await w.run('sleep 200 5');
      await w.run('sleep 1500 9');
    });
    expect(atLeast(histTotals(r.stdout, 'usecs'), 1024)).toEqual({ below: 0, total: 9 });
  });

  it('-T keeps the top N rows (still ascending)', async () => {
    const c = `p:${exe}:take_size(size_t n):size_t:n`;
    const r = await during(['-T', '2', '-c', '-C', c], (w) => w.run('sizes'), { after: 1 });
    const last = r.stdout.split(TS).pop()!;
    expect(last).toBe(`\n${c}\n\tCOUNT      EVENT\n\t50         n = 32\n\t100        n = 16\n`);
  });

  it('-c accumulates across intervals; without it each interval starts from zero', async () => {
    const c = `p:${exe}:take_size(size_t n):size_t:n`;
    const cum = await during(
      ['-c', '-C', c],
      async (w) => {
        await w.run('sizes');
        await w.run('sizes');
      },
      { after: 2 },
    );
    const blocks = cum.stdout.split(TS).slice(1);
    expect(blocks[blocks.length - 1]).toContain('\t200        n = 16\n');
    expect(blocks[blocks.length - 2]).toContain('\t200        n = 16\n');
    const clr = await during(['-C', c], (w) => w.run('sizes'), { after: 2 });
    const last = clr.stdout.split(TS).pop()!;
    expect(last).toBe(`\n${c}\n\tCOUNT      EVENT\n`);
  });

  it('-n stops after N intervals; -i sets their length', async () => {
    const t0 = Date.now();
    const r = await runTool('argdist', ['-i', '2', '-n', '2', '-C', `p:${exe}:take_size(size_t n):size_t:n`]);
    const took = Date.now() - t0;
    expect(r.code).toBe(0);
    expect(intervals(r.stdout)).toBe(2);
    // Two 2-second intervals cannot end sooner (a lower bound only: slowness never fails it).
    expect(took).toBeGreaterThanOrEqual(4000);
  });

  it('-d stops when the duration has passed', async () => {
    const r = await runTool('argdist', ['-d', '2', '-C', `p:${exe}:take_size(size_t n):size_t:n`]);
    expect(r.code).toBe(0);
    expect(intervals(r.stdout)).toBe(2);
  });

  it('a tracepoint: -p and $PID count getpid() calls of one process', async () => {
    const w = await startWork();
    const c = 't:syscalls:sys_enter_getpid():u32:$PID';
    const r = await during(['-p', String(w.pid), '-C', c], (x) => x.run('getpid 500'), { workload: w });
    await w.end();
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({ [`$PID = ${w.pid}`]: 500 });
  });

  it('a tracepoint field: a histogram of read() return values', async () => {
    const h = 't:syscalls:sys_exit_read():int:args->ret';
    const w = await startWork();
    const r = await during(['-p', String(w.pid), '-H', h], (x) => x.run('getpid 1'), { workload: w });
    await w.end();
    // argwork read its command lines: "getpid 1\n" is 9 bytes.
    expect(histTotals(r.stdout, 'args->ret').get('8 -> 15')).toBeGreaterThanOrEqual(1);
  });

  it('$COMM as a string key on a tracepoint', async () => {
    const w = await startWork();
    const c = 't:syscalls:sys_enter_getpid():char*:$COMM';
    const r = await during(['-p', String(w.pid), '-C', c], (x) => x.run('getpid 42'), { workload: w });
    await w.end();
    const comm = exe.split('/').pop()!.slice(0, 15);
    expect(Object.fromEntries(freqTotals(r.stdout, c))).toEqual({ [`$COMM = ${comm}`]: 42 });
  });

  // Debian's python3.11 reports function__entry from its tracing dispatch path, which runs
  // only while python:line is enabled too; python:line (arg2 = function name) fires alone.
  it('a USDT probe: Python function names (python:line arg2) of one process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argdist-py-'));
    const script = join(dir, 'work.py');
    writeFileSync(
      script,
      [
        'import sys',
        'def alpha(x):',
        '    y = x',
        '    return y',
        'def beta(x):',
        '    y = x',
        '    return y',
        'print("ready", flush=True)',
        'sys.stdin.readline()',
        // Two line events per call of each function (its two body lines).
        'for _ in map(alpha, range(30)): pass',
        'for _ in map(beta, range(20)): pass',
        'print("done", flush=True)',
        'sys.stdin.readline()',
        '',
      ].join('\n'),
    );
    const py = spawn('/usr/bin/python3.11', [script]);
    let pyOut = '';
    py.stdout.setEncoding('utf8').on('data', (d: string) => (pyOut += d));
    const until = (s: string) =>
      new Promise<void>((res) => {
        const check = () => (pyOut.includes(s) ? res() : setTimeout(check, 20));
        check();
      });
    await until('ready');
    const c = 'u:/usr/bin/python3.11:line():char*:arg2';
    const t = start('argdist', ['-p', String(py.pid), '-C', c]);
    await waitIntervals(t, 1);
    py.stdin.write('\n');
    await until('done');
    await waitIntervals(t, intervals(t.stdout) + 2);
    t.child.kill('SIGINT');
    await t.exited;
    py.stdin.end('\n');
    const rows = freqTotals(t.stdout, c);
    expect(rows.get('arg2 = alpha')).toBe(60);
    expect(rows.get('arg2 = beta')).toBe(40);
  });

  it('--json prints one document per interval', async () => {
    const c = `p:${exe}:take_size(size_t n):size_t:n`;
    const h = `p:${exe}:take_size(size_t n):size_t:n#sizes`;
    const w = await startWork();
    const t = start('argdist', ['--json', '-C', c, '-H', h]);
    await t.waitFor(/\n/);
    await w.run('sizes');
    await t.waitFor(/(?:.*\n){4}/);
    t.child.kill('SIGINT');
    await t.exited;
    await w.end();
    const docs = t.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            tool: string;
            probes: Array<{
              type: string;
              counts?: Array<{ key: Record<string, number>; count: number }>;
              buckets?: Array<{ lo: number; hi: number; count: number }>;
            }>;
          },
      );
    expect(docs.every((d) => d.tool === 'argdist' && d.probes.length === 2)).toBe(true);
    const counts = new Map<number, number>();
    const buckets = new Map<number, number>();
    for (const d of docs) {
      for (const x of d.probes[0]!.counts!) counts.set(x.key.n!, (counts.get(x.key.n!) ?? 0) + x.count);
      for (const b of d.probes[1]!.buckets!) buckets.set(b.lo, (buckets.get(b.lo) ?? 0) + b.count);
    }
    expect(Object.fromEntries(counts)).toEqual({ 16: 100, 32: 50, 4096: 7 });
    expect(buckets.get(16)).toBe(100);
    expect(buckets.get(4096)).toBe(7);
  });

  it('kernel-function specs fail with the clear message on this kernel', async () => {
    const r = await runTool('argdist', ['-C', 'p::tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size):u32:size']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot probe kernel function 'tcp_sendmsg': this kernel offers no way to attach to kernel functions/);
    expect(r.stdout).toBe('');
  });

  it('bad specifiers: no specifier, a histogram without expr', async () => {
    const a = await runTool('argdist', []);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('at least one specifier is required');
    const b = await runTool('argdist', ['-H', `p:${exe}:take_size()`]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('histograms must have expr');
  });
});
