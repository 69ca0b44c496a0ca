// stackcount, SIGINT → exit (issues 17 and 20): how long each tool takes to print its stacks
// and exit after Ctrl-C, and its RSS then, beside BCC's stackcount and bpftrace doing the same
// job. Each tool counts for BENCH_STACKEXIT_SECONDS (default 5) after its banner, gets SIGINT,
// and the time to its exit (stdout closed) is taken; median and p95 of BENCH_STACKEXIT_RUNS
// (default 5) interleaved runs, ratios to polytrace first. BENCH_STACKEXIT_JOBS picks jobs and
// their order (default K,U,P,tree).
// Jobs: kernel stacks at sched_switch (every process on the machine), user stacks (-U), one
// report per process (-P); and a generated call tree (stacktree.c: 16,384 distinct user
// stacks of one process) at its getpid syscalls.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, have, buildC, startUntil, printTable, fmt, ratio } from './lib.mjs';

const node = process.execPath;
const bin = join(root, 'bin', 'stackcount.js');
const RUNS = Number(process.env.BENCH_STACKEXIT_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_STACKEXIT_SECONDS ?? 5);
const TRACING = /Tracing \d+ functions/;
const ATTACHED = /^attached$/m;

function status(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)] : NaN;
}

/** One run: start, count SECONDS, SIGINT, time to close. */
async function once(tool) {
  const { child } = await startUntil(tool.cmd, tool.args, tool.banner, { timeoutMs: 120000 });
  let bytes = 0;
  child.stdout.on('data', (d) => (bytes += d.length));
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  // bpftrace forks nothing, BCC is one python process: the child is the tool.
  const before = status(child.pid);
  const t0 = process.hrtime.bigint();
  const closed = new Promise((r) => child.on('close', r));
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60000);
  await closed;
  clearTimeout(killer);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: before.rss / 1024, hwmMb: before.hwm / 1024, bytes };
}

async function job(title, tools) {
  const results = tools.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < tools.length; i++) {
      try {
        results[i].push(await once(tools[i]));
      } catch (e) {
        console.log(`${tools[i].name}: ${e instanceof Error ? e.message.slice(0, 200) : e}`);
      }
    }
  }
  const med = (xs) => pct(xs, 0.5);
  const polyMed = med(results[0].map((x) => x.ms));
  printTable(
    `${title} (${SECONDS} s of counting, ${RUNS} runs)`,
    ['tool', 'exit ms median', 'ratio', 'p95', 'RSS MB at SIGINT (median)', 'peak RSS MB', 'output KB (median)'],
    tools.map((t, i) => {
      const rs = results[i];
      const ms = rs.map((x) => x.ms);
      return [
        t.name,
        fmt(med(ms), 0),
        ratio(med(ms), polyMed),
        fmt(pct(ms, 0.95), 0),
        fmt(med(rs.map((x) => x.rssMb)), 0),
        fmt(Math.max(...rs.map((x) => x.hwmMb)), 0),
        fmt(med(rs.map((x) => x.bytes / 1024)), 0),
      ];
    }),
  );
}

/** A bpftrace job that prints a line once attached. */
const bt = (body) => ({ cmd: 'bpftrace', args: ['-e', `BEGIN { printf("attached\\n"); } ${body}`], banner: ATTACHED });

/** BENCH_STACKEXIT_JOBS: which jobs, in that order (default `K,U,P,tree`). */
const JOBS = (process.env.BENCH_STACKEXIT_JOBS ?? 'K,U,P,tree').split(',');

export async function benchStackExit() {
  for (const j of JOBS) {
    if (j === 'tree') await callTree();
    else await schedSwitch(j);
  }
}

async function schedSwitch(which) {
  const TP = 'sched:sched_switch';
  const jobs = [
    ['kernel stacks at t:sched:sched_switch', ['-K'], '@[kstack] = count();', ['-K']],
    ['user stacks (-U) at t:sched:sched_switch', ['-U'], '@[ustack] = count();', ['-U']],
    ['per process (-P), both stacks, at t:sched:sched_switch', ['-P'], '@[pid, comm, kstack, ustack] = count();', ['-P']],
  ];
  for (const [title, polyArgs, btBody, bccArgs] of jobs.filter((x) => x[1][0] === `-${which}`)) {
    const tools = [{ name: `polytrace stackcount ${polyArgs.join(' ')}`, cmd: node, args: [bin, ...polyArgs, `t:${TP}`], banner: TRACING }];
    if (have('stackcount-bpfcc'))
      tools.push({ name: `BCC stackcount ${bccArgs.join(' ')}`, cmd: 'stackcount-bpfcc', args: [...bccArgs, `t:${TP}`], banner: TRACING });
    if (have('bpftrace')) tools.push({ name: `bpftrace ${btBody}`, ...bt(`tracepoint:${TP} { ${btBody} }`) });
    await job(title, tools);
  }
}

/** The call tree: one process, 16,384 distinct user stacks. */
async function callTree() {
  const exe = buildC(join(root, 'bench', 'stacktree.c'), 'stacktree', ['-O0', '-fno-omit-frame-pointer']);
  const tree = spawn(exe, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((r) => tree.stdout.once('data', r));
    const pid = String(tree.pid);
    const GP = 'syscalls:sys_enter_getpid';
    const tools = [{ name: 'polytrace stackcount -U -p', cmd: node, args: [bin, '-U', '-p', pid, `t:${GP}`], banner: TRACING }];
    if (have('stackcount-bpfcc')) tools.push({ name: 'BCC stackcount -U -p', cmd: 'stackcount-bpfcc', args: ['-U', '-p', pid, `t:${GP}`], banner: TRACING });
    if (have('bpftrace')) tools.push({ name: 'bpftrace @[ustack] = count() /pid/', ...bt(`tracepoint:${GP} /pid == ${pid}/ { @[ustack] = count(); }`) });
    await job('call tree: 16,384 distinct user stacks of one process (stacktree.c) at getpid', tools);
  } finally {
    tree.kill('SIGKILL');
  }
}
