/**
 * Soak: funccount, stackcount, trace and argdist on one workload that calls getpid() at a
 * sustained high rate for SOAK_MINUTES, all four attached at once (-p), sampling each tool's
 * RSS every SOAK_SAMPLE_S seconds. Asserts, per tool:
 *  - memory: RSS after the warm-up (the first sample at or past 20 % of the run) grows by at
 *    most SOAK_RSS_GROWTH_MB (default 40 MiB) to the end;
 *  - exact accounting against the workload's own count of calls: funccount and argdist
 *    intervals sum to it, stackcount's JSON counts sum to it, trace's printed lines plus the
 *    "N events lost" it reported equal it.
 *
 * A second test churns processes: `stackcount -P -i 10 t:sched:sched_switch` while about
 * SOAK_CHURN_RATE (default 60) short-lived processes a second start and exit (`true`, `sh -c`,
 * and two `node -e 0` a second), for SOAK_MINUTES. Asserts RSS stays at most SOAK_STACK_RSS_MB
 * (default 120 MiB) at every sample, that it is flat (the median of the last quarter of the
 * samples after the warm-up at most SOAK_FLAT_MB, default 8 MiB, above the first quarter's),
 * and that the tool exits 0 on SIGINT (the time it took is reported, not asserted).
 * Not part of the default run: `node scripts/soak.mjs` (SOAK_MINUTES, SOAK_RATE, SOAK_CHURN_RATE;
 * SOAK_ONLY=churn runs the second test alone).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin, requireKernel, root } from '../helpers/kernel.js';
import { buildC } from '../helpers/cbuild.js';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 2);
const SAMPLE_S = Number(process.env['SOAK_SAMPLE_S'] ?? 5);
const GROWTH_MB = Number(process.env['SOAK_RSS_GROWTH_MB'] ?? 40);
const TP = 't:syscalls:sys_enter_getpid';
const CHURN_RATE = Number(process.env['SOAK_CHURN_RATE'] ?? 60);
const STACK_RSS_MB = Number(process.env['SOAK_STACK_RSS_MB'] ?? 120);
const FLAT_MB = Number(process.env['SOAK_FLAT_MB'] ?? 8);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Tool {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything but trace's event lines (those are only counted). */
  text: string;
  stderr: string;
  lines: number;
  rss: number[];
  readonly exited: Promise<number | string>;
}

function startTool(name: string, args: string[], keepText: boolean): Tool {
  const child = spawn(process.execPath, [bin(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t: Tool = {
    name,
    child,
    text: '',
    stderr: '',
    lines: 0,
    rss: [],
    exited: new Promise((r) => child.on('close', (code, sig) => r(code ?? sig ?? -1))),
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) t.lines++;
    if (keepText || t.text.length < 4096) t.text += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (t.stderr += d));
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('soak (kernel)', () => {
  it(
    `four tools at a sustained rate for ${MINUTES} min: bounded RSS, exact accounting`,
    async () => {
      requireKernel();
      const exe = buildC('soakload', readFileSync(join(root, 'test', 'soak', 'soakload.c'), 'utf8'), ['-O2']);
      const load = spawn(exe, [], { env: { ...process.env, ...(process.env['SOAK_RATE'] ? { SOAK_RATE: process.env['SOAK_RATE'] } : {}) } });
      let loadOut = '';
      load.stdout!.setEncoding('utf8').on('data', (d: string) => (loadOut += d));
      while (!/ready (\d+)/.test(loadOut)) await sleep(20);
      const pid = /ready (\d+)/.exec(loadOut)![1]!;

      const tools = [
        startTool('funccount', ['-i', '5', '-p', pid, TP], true),
        startTool('stackcount', ['--json', '-K', '-i', '5', '-p', pid, TP], true),
        startTool('argdist', ['-i', '5', '-p', pid, '-C', `${TP}()`], true),
        startTool('trace', ['-p', pid, TP], false),
      ];
      // Attached: every tool printed something (argdist and stackcount --json after 5 s).
      const deadline = Date.now() + 30_000;
      while (tools.some((t) => t.lines === 0 && t.stderr === '') && Date.now() < deadline) await sleep(100);
      for (const t of tools) expect(t.lines, `${t.name} did not start: ${t.stderr}`).toBeGreaterThan(0);
      const baseline = { funccount: tools[0]!.text, stackcount: tools[1]!.text, argdist: tools[2]!.text, traceLines: tools[3]!.lines };

      load.stdin!.write('go\n');
      const t0 = Date.now();
      const endAt = t0 + MINUTES * 60_000;
      const times: number[] = [];
      while (Date.now() < endAt) {
        await sleep(SAMPLE_S * 1000);
        times.push((Date.now() - t0) / 1000);
        for (const t of tools) t.rss.push(rssKiB(t.child.pid!));
      }
      load.stdin!.end('stop\n');
      await new Promise<void>((r) => load.on('close', () => r()));
      const total = Number(/total (\d+)/.exec(loadOut)![1]);
      const seconds = (Date.now() - t0) / 1000;
      // Let the last events reach the maps and the ring, and one more interval print (argdist,
      // like BCC's, does not print a partial interval on Ctrl-C), then stop every tool.
      await sleep(6500);
      for (const t of tools) t.child.kill('SIGINT');
      const codes = await Promise.all(tools.map((t) => t.exited));

      const sum = (re: RegExp, s: string) => [...s.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
      const counted = {
        funccount: sum(/^syscalls:sys_enter_getpid\s+(\d+)$/gm, tools[0]!.text) - sum(/^syscalls:sys_enter_getpid\s+(\d+)$/gm, baseline.funccount),
        stackcount: tools[1]!.text
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .reduce((a, l) => a + (JSON.parse(l) as { stacks: Array<{ count: number }> }).stacks.reduce((x, s) => x + Number(s.count), 0), 0),
        argdist: sum(/^\t(\d+)\s+total calls$/gm, tools[2]!.text) - sum(/^\t(\d+)\s+total calls$/gm, baseline.argdist),
        trace: tools[3]!.lines - 1 + sum(/^(\d+) events lost$/gm, tools[3]!.stderr),
      };
      const report = {
        minutes: MINUTES,
        seconds: Math.round(seconds),
        events: total,
        rate: Math.round(total / seconds),
        traceLost: sum(/^(\d+) events lost$/gm, tools[3]!.stderr),
        counted,
        rssMiB: Object.fromEntries(tools.map((t) => [t.name, t.rss.map((k) => Math.round(k / 1024))])),
        sampleTimes: times.map((x) => Math.round(x)),
        exit: Object.fromEntries(tools.map((t, i) => [t.name, codes[i]])),
      };
      console.log(`soak report: ${JSON.stringify(report)}`);

      for (const [i, t] of tools.entries()) expect(codes[i], `${t.name}: ${t.stderr}`).toBe(0);
      expect(counted).toEqual({ funccount: total, stackcount: total, argdist: total, trace: total });
      const warm = times.findIndex((s) => s >= MINUTES * 60 * 0.2);
      for (const t of tools) {
        const after = t.rss.slice(Math.max(0, warm));
        const growth = (Math.max(...after) - after[0]!) / 1024;
        expect(growth, `${t.name} RSS grew ${growth.toFixed(1)} MiB after warm-up: ${t.rss.join(' ')}`).toBeLessThanOrEqual(GROWTH_MB);
      }
    },
    (MINUTES * 60 + 120) * 1000,
  );

  it(
    `stackcount -P at sched_switch with ~${CHURN_RATE} short-lived processes/s for ${MINUTES} min: RSS bounded and flat`,
    async () => {
      requireKernel();
      const tool = startTool('stackcount', ['-P', '-i', '10', 't:sched:sched_switch'], false);
      const deadline = Date.now() + 30_000;
      while (!/Tracing/.test(tool.text) && Date.now() < deadline) await sleep(100);
      expect(tool.text, tool.stderr).toMatch(/Tracing/);
      // The churn: a shell starting `true` and `sh -c :` at the rate, and node twice a second.
      const period = (2 / CHURN_RATE).toFixed(4);
      const churn = spawn('sh', ['-c', `while :; do true & sh -c : & sleep ${period}; done`], { stdio: 'ignore', detached: true });
      const nodes = spawn('sh', ['-c', `while :; do ${process.execPath} -e 0; sleep 0.5; done`], { stdio: 'ignore', detached: true });
      const t0 = Date.now();
      const times: number[] = [];
      try {
        while (Date.now() < t0 + MINUTES * 60_000) {
          await sleep(SAMPLE_S * 1000);
          times.push(Math.round((Date.now() - t0) / 1000));
          tool.rss.push(rssKiB(tool.child.pid!));
        }
      } finally {
        for (const c of [churn, nodes]) {
          try {
            process.kill(-c.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      const stopAt = performance.now();
      tool.child.kill('SIGINT');
      const code = await tool.exited;
      const exitMs = Math.round(performance.now() - stopAt);
      const mib = tool.rss.map((k) => Math.round(k / 1024));
      console.log(
        `soak churn report: ${JSON.stringify({ minutes: MINUTES, churnRate: CHURN_RATE, rssMiB: mib, sampleTimes: times, exitMs, lines: tool.lines, code })}`,
      );
      expect(code, tool.stderr).toBe(0);
      // Bounded: every sample, the start included (the first interval reads node's symbols).
      expect(Math.max(...tool.rss) / 1024, `RSS ${mib.join(' ')}`).toBeLessThanOrEqual(STACK_RSS_MB);
      // Flat: the last quarter's median no higher than the first quarter's by more than
      // SOAK_FLAT_MB (samples after the first 20 %, when the tables of the files every process
      // maps are built).
      const warm = Math.max(
        0,
        times.findIndex((x) => x >= MINUTES * 60 * 0.2),
      );
      const after = tool.rss.slice(warm);
      const q = Math.max(1, Math.floor(after.length / 4));
      const first = median(after.slice(0, q)) / 1024;
      const last = median(after.slice(-q)) / 1024;
      console.log(`soak churn quarters: first ${first.toFixed(1)} MiB, last ${last.toFixed(1)} MiB (median RSS)`);
      expect(last - first, `RSS ${mib.join(' ')}`).toBeLessThanOrEqual(FLAT_MB);
    },
    (MINUTES * 60 + 120) * 1000,
  );
});
