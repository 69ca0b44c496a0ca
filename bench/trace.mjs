// trace (issue 7): one printed line per event, to a pipe. For polytrace's trace, bpftrace's
// printf and BCC's trace on the same tracepoint (syscalls:sys_enter_getpid, filtered to the
// workload's pid, so produced = the workload's N exactly):
//  - at full rate: lines printed, events reported lost, and unaccounted = produced − printed − lost;
//  - a ladder of paced rates (one second each, ascending, stopping at the first loss): the
//    highest printed rate with none lost, and the target rate at which loss begins.
// stdout goes into a named pipe read by bench/linecount.mjs (a separate node process that counts
// lines carrying the workload's comm); stderr is read here for loss reports.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, have, median, buildC, spawnWorkload, waitExit, fmt, printTable } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_TRACE_EVENTS ?? 200_000);
const RATES = (process.env.BENCH_TRACE_RATES ?? '50000,100000,200000,400000,800000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_TRACE_SECONDS ?? 1);
const TP = 'syscalls:sys_enter_getpid';
const HEADER = /PID\s+TID\s+COMM/;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const LOST = [/(\d+) events lost/g, /Possibly lost (\d+) samples/g, /Lost (\d+) events/g];

export function tools() {
  const t = [
    {
      name: 'polytrace trace',
      cmd: process.execPath,
      args: (pid) => [join(root, 'bin', 'trace.js'), '-p', String(pid), `t:${TP} "%d", args->__syscall_nr`],
      banner: HEADER,
    },
  ];
  if (have('bpftrace')) {
    t.push({
      name: 'bpftrace printf',
      cmd: 'bpftrace',
      args: (pid) => [
        '-e',
        `BEGIN { printf("attached\\n"); } tracepoint:${TP} /pid == ${pid}/ { printf("%d %d %s sys_enter_getpid %d\\n", pid, tid, comm, args->__syscall_nr); }`,
      ],
      banner: /attached\n/,
    });
  }
  if (have('trace-bpfcc')) {
    t.push({ name: 'BCC trace', cmd: 'trace-bpfcc', args: (pid) => ['-p', String(pid), `t:${TP} "%d", args->__syscall_nr`], banner: HEADER });
  }
  return t;
}

/**
 * One trial: n events at `rate` per second (0: full rate). `wl` overrides the workload's
 * arguments and the comm its lines carry (bench/scale.mjs: threads_loop).
 */
export async function trial(tool, bin, n, rate, wl = { args: rate ? [n, 'pace', rate] : [n], comm: 'getpid_loop' }) {
  const dir = mkdtempSync(join(tmpdir(), 'ptbench-'));
  const fifo = join(dir, 'out');
  execFileSync('mkfifo', [fifo]);
  const w = await spawnWorkload(bin, wl.args);
  const counter = spawn(process.execPath, [join(root, 'bench', 'linecount.mjs'), fifo, wl.comm, tool.banner.source], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const msgs = [];
  let wake = () => {};
  createInterface({ input: counter.stdout }).on('line', (l) => {
    msgs.push(JSON.parse(l));
    wake();
  });
  const next = (pred, ms) =>
    new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error('pipe reader timed out')), ms);
      const check = () => {
        const m = msgs.find(pred);
        if (m) {
          clearTimeout(t);
          msgs.splice(msgs.indexOf(m), 1);
          ok(m);
        }
      };
      wake = check;
      check();
    });
  const fd = openSync(fifo, 'w');
  const child = spawn(tool.cmd, tool.args(w.pid), { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  try {
    await next((m) => m.banner, 60000);
    await sleep(300);
    const tGo = now();
    const perIter = await w.go();
    const produceS = (perIter * n) / 1e9;
    // let the tool drain: until every line is in, or the count stops moving for 1.5 s
    let last = -1;
    let still = now();
    for (;;) {
      counter.stdin.write('snap\n');
      // a tool that exits with the -p process (polytrace's trace) closes the pipe: the reader's
      // final count is then the last word
      const s = await next((m) => 'lines' in m, 10000);
      if (s.final) {
        msgs.push(s);
        break;
      }
      if (s.lines >= n) break;
      if (s.lines !== last) {
        last = s.lines;
        still = now();
      } else if (now() - still > 1500) break;
      if (now() - tGo > 120000) break;
      await sleep(100);
    }
    const exited = waitExit(child, 15000);
    child.kill('SIGINT');
    const timer = setInterval(() => child.kill('SIGINT'), 1000); // bpftrace may ignore the first
    if ((await exited) === Infinity) child.kill('SIGKILL');
    clearInterval(timer);
    await waitExit(child, 5000);
    const fin = await next((m) => m.final, 10000);
    let lost = fin.lost;
    for (const re of LOST) for (const m of stderr.matchAll(re)) lost += Number(m[1]);
    const printed = fin.lines;
    return {
      produced: n,
      produceRate: n / produceS,
      printed,
      lost,
      unaccounted: n - printed - lost,
      printRate: printed / ((fin.tLast - tGo) / 1000),
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    counter.kill();
    w.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTrace() {
  const bin = buildC(join(root, 'bench', 'getpid_loop.c'), 'getpid_loop');
  const ts = tools();
  const res = new Map(ts.map((t) => [t.name, { full: [], lossless: [], lossAt: [], reached: [], gaps: 0, trials: 0, err: '' }]));
  for (let run = 0; run < RUNS; run++) {
    for (const t of ts) {
      const r = res.get(t.name);
      try {
        // loss is judged on the rate the workload actually produced (a tracer can slow it down)
        const f = await trial(t, bin, N, 0);
        r.full.push(f);
        r.trials++;
        if (f.unaccounted !== 0) r.gaps++;
        const clean = (x) => x.lost === 0 && x.unaccounted === 0;
        let best = clean(f) ? f.printRate : 0;
        let lossAt = clean(f) ? Infinity : f.produceRate;
        let reached = f.produceRate;
        for (const rate of RATES) {
          const x = await trial(t, bin, Math.max(10000, Math.round(rate * SECONDS)), rate);
          r.trials++;
          if (x.unaccounted !== 0) r.gaps++;
          reached = Math.max(reached, x.produceRate);
          if (!clean(x)) {
            lossAt = Math.min(lossAt, x.produceRate);
            break;
          }
          best = Math.max(best, x.printRate);
          if (x.produceRate < rate * 0.9) break; // the workload cannot go faster with this tool
        }
        r.reached.push(reached);
        r.lossless.push(best);
        r.lossAt.push(lossAt);
      } catch (e) {
        r.err = String(e instanceof Error ? e.message : e)
          .split('\n')[0]
          .slice(0, 80);
        if (process.env.BENCH_DEBUG) console.error(t.name, e);
      }
    }
  }
  const p = res.get(ts[0].name);
  const rows = ts.map((t) => {
    const r = res.get(t.name);
    if (!r.full.length) return [t.name, 'failed', r.err, '', '', '', '', '', '', ''];
    const m = (k) => median(r.full.map((f) => f[k]));
    const lossAt = median(r.lossAt);
    const best = median(r.lossless);
    return [
      t.name,
      fmt(m('produceRate') / 1000, 0),
      fmt(m('printed'), 0),
      fmt(m('lost'), 0),
      fmt(m('unaccounted'), 0),
      fmt(m('printRate') / 1000, 0),
      fmt(best / 1000, 0),
      lossAt === Infinity ? `none (up to ${fmt(median(r.reached) / 1000, 0)}k/s produced)` : `${fmt(lossAt / 1000, 0)}k/s`,
      `${r.gaps} of ${r.trials}`,
      t === ts[0] ? '1.00x' : `${fmt(best / median(p.lossless), 2)}x`,
    ];
  });
  printTable(
    `trace: one line per event to a pipe, t:${TP} filtered to the workload; full rate = ${N} events; ladder ${RATES.map((x) => x / 1000 + 'k').join(', ')}/s × ${SECONDS} s; median of ${RUNS}`,
    [
      'tool',
      'full: produced k/s',
      'full: printed',
      'full: reported lost',
      'full: unaccounted',
      'full: printed k/s',
      'lossless printed k/s (best)',
      'loss begins at',
      'trials with printed+lost≠produced',
      'ratio to polytrace (lossless k/s)',
    ],
    rows,
  );
}
