// Benchmark: tracepoints through raw tracepoints (issue 15). Two parts, each next to bpftrace and
// BCC in the same run:
//  1. exec → exit of a 1 s count over many tracepoints — `funccount -d 1 't:syscalls:sys_enter_*'`
//     (≈ 360 events, one program at raw sys_enter) and `t:sched:*` (≈ 26 raw tracepoints) — for
//     polytrace (raw), polytrace with POLYTRACE_DISABLE=raw_tracepoint (a perf event per
//     tracepoint, each waiting for an RCU grace period when closed), bpftrace and BCC.
//  2. the cost per event of counting one tracepoint: t:syscalls:sys_enter_getpid (a getpid loop)
//     and t:sched:sched_switch (two threads bouncing a byte on one CPU: two switches per round
//     trip), bench/rawtp_loop.c: the workload's extra CPU time per event ("overhead", what the
//     traced program pays; the perf path's record building is outside the program; CPU time,
//     because other tenants' load moves wall time by more than that), measured with
//     kernel.bpf_stats_enabled off, and the program's own average run time (with it on; the
//     sys_enter program also runs, and returns at once, for every other syscall).
// Knobs: BENCH_RUNS (default 3), BENCH_EVENTS (getpid events, default 1M), BENCH_SWITCHES (round
// trips, default 200k), BENCH_DETACH_BOUND_S (longest exec → exit waited for, default 90).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, have, median, buildC, startUntil, stop, setBpfStats, progStats, spawnWorkload, fmt, printTable, ratio } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 200_000);
const BOUND_MS = Number(process.env.BENCH_DETACH_BOUND_S ?? 90) * 1000;
const POLY = join(root, 'bin', 'funccount.js');
const PERF_ENV = { POLYTRACE_DISABLE: 'raw_tracepoint' };

/** Run to completion; resolves with the wall time in ms (Infinity past the bound). */
function timeToExit(cmd, args, env) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
    const t = setTimeout(() => {
      c.kill('SIGKILL');
      resolve(Infinity);
    }, BOUND_MS);
    c.on('exit', () => {
      clearTimeout(t);
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

function wildcardTools(tp) {
  const tools = [
    { name: 'polytrace (raw tracepoints)', cmd: process.execPath, args: [POLY, '-d', '1', `t:${tp}`] },
    { name: 'polytrace, POLYTRACE_DISABLE=raw_tracepoint', cmd: process.execPath, args: [POLY, '-d', '1', `t:${tp}`], env: PERF_ENV },
  ];
  if (have('bpftrace')) tools.push({ name: 'bpftrace', cmd: 'bpftrace', args: ['-e', `tracepoint:${tp} { @[probe] = count(); } interval:s:1 { exit(); }`] });
  if (have('funccount-bpfcc')) tools.push({ name: 'BCC funccount', cmd: 'funccount-bpfcc', args: ['-d', '1', `t:${tp}`] });
  return tools;
}

async function benchWildcard(tp) {
  const tools = wildcardTools(tp);
  const res = new Map(tools.map((t) => [t.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const t of tools) res.get(t.name).push(await timeToExit(t.cmd, t.args, t.env));
  }
  const poly = median(res.get(tools[0].name));
  printTable(
    `funccount -d 1 't:${tp}': exec → exit, median of ${RUNS}`,
    ['tool', 'exec→exit s', 'ratio to polytrace'],
    tools.map((t) => {
      const ms = median(res.get(t.name));
      return [t.name, Number.isFinite(ms) ? fmt(ms / 1000, 2) : `> ${BOUND_MS / 1000}`, t === tools[0] ? '1.00x' : ratio(ms, poly)];
    }),
  );
}

/** bench/rawtp_loop MODE N: resolves with its CPU ns per iteration. */
async function runOnce(bin, mode, n) {
  const w = await spawnWorkload(bin, [mode, n]);
  return w.go();
}

export async function benchPerEvent(title, tp, mode, n, eventsPerIter) {
  const bin = buildC(join(root, 'bench', 'rawtp_loop.c'), 'rawtp_loop', ['-pthread']);
  const tools = [
    { name: 'polytrace (raw)', cmd: process.execPath, args: [POLY, `t:${tp}`], banner: /Tracing \d+ functions/ },
    { name: 'polytrace (perf event)', cmd: process.execPath, args: [POLY, `t:${tp}`], banner: /Tracing \d+ functions/, env: PERF_ENV },
  ];
  if (have('funccount-bpfcc')) tools.push({ name: 'BCC funccount', cmd: 'funccount-bpfcc', args: [`t:${tp}`], banner: /Tracing \d+ functions/ });
  if (have('bpftrace'))
    tools.push({
      name: 'bpftrace',
      cmd: 'bpftrace',
      args: ['-e', `tracepoint:${tp} { @ = count(); } BEGIN { printf("attached\\n"); }`],
      banner: /^attached$/m,
    });
  const baselines = [];
  const res = new Map(tools.map((t) => [t.name, { ns: [], overhead: [], err: '' }]));
  for (let run = 0; run < RUNS; run++) {
    // The machine's speed drifts (shared hosts): each run has its own baseline.
    const baseline = median([await runOnce(bin, mode, n), await runOnce(bin, mode, n)]);
    baselines.push(baseline);
    for (const t of tools) {
      const r = res.get(t.name);
      let child;
      try {
        // Programs loaded before the tool (other users') are not its own.
        const before = new Set(progStats().map((p) => p.id));
        const s = await startUntil(t.cmd, t.args, t.banner, { env: t.env });
        child = s.child;
        await new Promise((ok) => setTimeout(ok, 200));
        // The workload's extra time with statistics off (their accounting costs every tool
        // about as much as a small program), then the program's own time with them on.
        r.overhead.push(((await runOnce(bin, mode, n)) - baseline) / eventsPerIter);
        setBpfStats(true);
        const cnt0 = new Map(progStats().map((p) => [p.id, p]));
        try {
          await runOnce(bin, mode, n);
        } finally {
          setBpfStats(false);
        }
        const progs = progStats().filter((p) => {
          const b0 = cnt0.get(p.id);
          return b0 && !before.has(p.id) && p.runCnt - b0.runCnt >= n * eventsPerIter * 0.5;
        });
        const per = progs.reduce((a, p) => {
          const b0 = cnt0.get(p.id);
          return a + (p.runTimeNs - b0.runTimeNs) / (p.runCnt - b0.runCnt);
        }, 0);
        r.ns.push(progs.length ? per : NaN);
      } catch (e) {
        r.err = String(e instanceof Error ? e.message : e)
          .split('\n')[0]
          .slice(0, 80);
      } finally {
        if (child) await stop(child);
      }
    }
  }
  const bcc = res.get('BCC funccount');
  const bccOver = bcc?.overhead.length ? median(bcc.overhead) : NaN;
  printTable(
    `${title}: ${n} iterations (${eventsPerIter} event(s) each), median of ${RUNS}`,
    ['tool', 'overhead CPU ns/event', 'kernel ns/event (program, stats on)', "overhead / BCC's"],
    tools.map((t) => {
      const r = res.get(t.name);
      if (!r.overhead.length) return [t.name, 'failed', '', r.err];
      const o = median(r.overhead);
      return [t.name, fmt(o), fmt(median(r.ns)), Number.isFinite(bccOver) && bccOver > 0 ? fmt(o / bccOver, 2) : 'n/a'];
    }),
  );
  console.log(`\nworkload alone: ${fmt(median(baselines) / eventsPerIter)} CPU ns/event (statistics off)`);
}

export async function benchRawTracepoints() {
  await benchWildcard('syscalls:sys_enter_*');
  await benchWildcard('sched:*');
  await benchPerEvent('counting t:syscalls:sys_enter_getpid', 'syscalls:sys_enter_getpid', 'getpid', N, 1);
  await benchPerEvent('counting t:sched:sched_switch', 'sched:sched_switch', 'switch', SWITCHES, 2);
}
