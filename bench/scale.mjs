// Cost as the work grows (issue 17), three sections of `node bench/run.mjs`:
//  - argdist-keys: argdist -C on work_fn(i) called with N (default 1M) distinct values: what each
//    tool printed, what it said it dropped, and what went unaccounted (BCC's argdist and bpftrace's
//    count() map drop silently); then the per-interval read of a full hash of K entries, batch
//    lookups (BPF_MAP_LOOKUP_BATCH, what argdist drains with) against get-next-key + lookup.
//  - trace-threads: trace -p PID at t:syscalls:sys_enter_getpid fired by 1 → 64 threads of one
//    process (bench/threads_loop.c), one line per event to a pipe: events/s printed, reported
//    lost, unaccounted (produced − printed − lost), beside bpftrace (/pid == PID/) and BCC trace -p.
//  - uprobes-scale: funccount on 1,000 → 10,000 functions of one wildcard (bench/biglib.mjs):
//    exec → attached, SIGINT → exit, and peak RSS; bpftrace beside it at 1,000 (it attaches one
//    perf-event uprobe per function: its 10,000 would take many minutes to detach).
// Knobs: BENCH_RUNS, BENCH_KEYS (argdist distinct values, default 1M), BENCH_THREAD_EVENTS
// (events per trace-threads trial, default 192k), BENCH_THREADS (default 1,2,4,8,16,32,64),
// BENCH_UPROBE_COUNTS (default 1000,2500,5000,10000), BENCH_CEILING_RATES, BENCH_CEILING_EVENTS,
// BENCH_POLY_ONLY.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, have, median, buildC, spawnWorkload, startUntil, waitExit, peakRssKb, fmt, printTable, ratio } from './lib.mjs';
import { workloadBin } from './kcost.mjs';
import { buildBigLib } from './biglib.mjs';
import { trial, tools as traceTools } from './trace.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** BENCH_POLY_ONLY=1: the trace sections without the anchors (to re-measure polytrace alone). */
const polyOnly = (ts) => (process.env.BENCH_POLY_ONLY ? ts.slice(0, 1) : ts);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const sum = (re, s) => [...s.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);

// ---------------------------------------------------------------------------------------------
// argdist -C with more distinct keys than the map holds
// ---------------------------------------------------------------------------------------------

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);

function keyTools(path) {
  const spec = `p:${path}:work_fn(int i):int:i`;
  const t = [
    {
      name: 'polytrace argdist -C',
      cmd: process.execPath,
      args: [join(root, 'bin', 'argdist.js'), '-i', '1', '-C', spec],
      // rows "\t COUNT i = VALUE"; the drop is said on stderr
      counted: (out) => sum(/^\s+(\d+)\s+i = -?\d+$/gm, out),
      rows: (out) => (out.match(/^\s+\d+\s+i = -?\d+$/gm) ?? []).length,
      dropped: (err) => sum(/^argdist: (\d+) events not counted/gm, err),
      capacity: '10,240 (--max-entries)',
    },
  ];
  if (have('argdist-bpfcc'))
    t.push({
      name: 'BCC argdist -C',
      cmd: 'argdist-bpfcc',
      args: ['-i', '1', '-C', spec],
      counted: (out) => sum(/^\s+(\d+)\s+i = -?\d+$/gm, out),
      rows: (out) => (out.match(/^\s+\d+\s+i = -?\d+$/gm) ?? []).length,
      dropped: () => NaN,
      capacity: '10,240 (fixed)',
    });
  if (have('bpftrace'))
    t.push({
      name: 'bpftrace @[arg0] = count()',
      cmd: 'bpftrace',
      args: ['-e', `BEGIN { printf("attached\\n"); } uprobe:${path}:work_fn { @[arg0] = count(); }`],
      counted: (out) => sum(/^@\[-?\d+\]: (\d+)$/gm, out),
      rows: (out) => (out.match(/^@\[-?\d+\]: \d+$/gm) ?? []).length,
      dropped: () => NaN,
      capacity: '4,096 (BPFTRACE_MAP_KEYS_MAX)',
    });
  return t;
}

async function keyTrial(t, bin) {
  const w = await spawnWorkload(bin, [KEYS, 'distinct']);
  const c = spawn(t.cmd, t.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  c.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const deadline = Date.now() + 60000;
  // attached: bpftrace's BEGIN line; the argdists' first interval header
  while (!/attached|\[\d\d:\d\d:\d\d\]/.test(out + err) && Date.now() < deadline) await sleep(50);
  if (c.exitCode !== null) throw new Error(`${t.name} exited: ${err.slice(0, 200)}`);
  await sleep(500);
  await w.go();
  // two more intervals, so the argdists print the last one before they are stopped
  await sleep(2500);
  const exited = waitExit(c, 60000);
  c.kill('SIGINT');
  const timer = setInterval(() => c.kill('SIGINT'), 2000);
  await exited;
  clearInterval(timer);
  const counted = t.counted(out);
  const dropped = t.dropped(err);
  return { counted, rows: t.rows(out), dropped, unaccounted: KEYS - counted - (Number.isFinite(dropped) ? dropped : 0) };
}

/** ms to read every entry of a full hash of `n` entries: batch lookups, then get-next-key + lookup. */
async function readTimes(n) {
  const { BpfMap } = await import(join(root, 'dist', 'kernel', 'map.js'));
  const { MapType } = await import(join(root, 'dist', 'emit', 'types.js'));
  const m = BpfMap.create({ name: 'bench_keys', type: MapType.Hash, keySize: 8, valueSize: 8, maxEntries: n });
  try {
    const k = new Uint8Array(8);
    const v = new Uint8Array(8);
    const kv = new DataView(k.buffer);
    for (let i = 0; i < n; i++) {
      kv.setBigUint64(0, BigInt(i), true);
      m.update(k, v);
    }
    const time = (f) => {
      const t0 = process.hrtime.bigint();
      const got = f();
      if (got !== n) throw new Error(`read ${got} of ${n} entries`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const batch = [];
    const slow = [];
    for (let r = 0; r < RUNS; r++) {
      batch.push(time(() => m.entries().length));
      slow.push(
        time(() => {
          let got = 0;
          for (const key of m.keys()) if (m.lookup(key)) got++;
          return got;
        }),
      );
    }
    return { batch: median(batch), slow: median(slow) };
  } finally {
    m.close();
  }
}

export async function benchArgdistKeys() {
  const bin = workloadBin();
  const ts = keyTools(bin);
  const res = new Map(ts.map((t) => [t.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const t of ts) {
      try {
        res.get(t.name).push(await keyTrial(t, bin));
      } catch (e) {
        console.log(`${t.name}: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  const rows = ts.map((t) => {
    const xs = res.get(t.name);
    if (!xs.length) return [t.name, 'failed', '', '', '', '', ''];
    const m = (k) => median(xs.map((x) => x[k]));
    return [
      t.name,
      t.capacity,
      fmt(m('rows'), 0),
      fmt(m('counted'), 0),
      Number.isFinite(m('dropped')) ? fmt(m('dropped'), 0) : 'not said',
      fmt(m('unaccounted'), 0),
      String(xs.length),
    ];
  });
  printTable(
    `argdist -C: ${KEYS.toLocaleString('en')} calls of work_fn(i), each i distinct (more keys than any map holds); -i 1; median of ${RUNS}`,
    ['tool', 'map capacity', 'keys printed', 'events counted', 'events said dropped', 'unaccounted (silent)', 'runs'],
    rows,
  );
  const rrows = [];
  for (const n of [10240, 100_000, 1_000_000]) {
    const r = await readTimes(n);
    rrows.push([n.toLocaleString('en'), fmt(r.batch, 1), fmt(r.slow, 1), ratio(r.slow, r.batch, 1)]);
  }
  printTable(
    `reading a full hash (u64 → u64), what argdist does each interval; median of ${RUNS}`,
    ['entries', 'batch lookup ms', 'get-next-key + lookup ms', 'ratio'],
    rrows,
  );
}

// ---------------------------------------------------------------------------------------------
// trace -p with many threads
// ---------------------------------------------------------------------------------------------

const THREAD_EVENTS = Number(process.env.BENCH_THREAD_EVENTS ?? 192_000);
const THREADS = (process.env.BENCH_THREADS ?? '1,2,4,8,16,32,64').split(',').map(Number);

export async function benchTraceThreads() {
  const bin = buildC(join(root, 'bench', 'threads_loop.c'), 'threads_loop', ['-pthread']);
  const ts = polyOnly(traceTools());
  const rows = [];
  for (const threads of THREADS) {
    const n = Math.floor(THREAD_EVENTS / threads) * threads;
    const res = new Map(ts.map((t) => [t.name, []]));
    for (let r = 0; r < RUNS; r++) {
      for (const t of ts) {
        try {
          res.get(t.name).push(await trial(t, bin, n, 0, { args: [n, threads], comm: 'threads_loop' }));
        } catch (e) {
          console.log(`${t.name}, ${threads} threads: ${e instanceof Error ? e.message : e}`);
        }
      }
    }
    const p = median(res.get(ts[0].name).map((x) => x.printRate));
    for (const t of ts) {
      const xs = res.get(t.name);
      if (!xs.length) {
        rows.push([String(threads), t.name, 'failed', '', '', '', '', '', '']);
        continue;
      }
      const m = (k) => median(xs.map((x) => x[k]));
      rows.push([
        String(threads),
        t.name,
        fmt(m('produceRate') / 1000, 0),
        fmt(m('printRate') / 1000, 0),
        fmt(m('printed'), 0),
        fmt(m('lost'), 0),
        fmt(m('unaccounted'), 0),
        `${xs.filter((x) => x.unaccounted !== 0).length} of ${xs.length}`,
        ratio(m('printRate'), p),
      ]);
    }
  }
  printTable(
    `trace -p: t:syscalls:sys_enter_getpid fired by T threads of one process, ${THREAD_EVENTS.toLocaleString('en')} events in all, full rate, to a pipe; median of ${RUNS}`,
    [
      'threads',
      'tool',
      'produced k/s',
      'printed k/s',
      'printed',
      'reported lost',
      'unaccounted',
      'trials with printed+lost≠produced',
      'printed k/s ratio to polytrace',
    ],
    rows,
  );
}

// ---------------------------------------------------------------------------------------------
// uprobes: 1,000 → 10,000 functions in one wildcard
// ---------------------------------------------------------------------------------------------

const COUNTS = (process.env.BENCH_UPROBE_COUNTS ?? '1000,2500,5000,10000').split(',').map(Number);
const TRACING = /Tracing (\d+) functions/;

async function attachDetach(cmd, args, banner, env) {
  const s = await startUntil(cmd, args, banner, { timeoutMs: 300000, env });
  const rssKb = peakRssKb(s.child.pid);
  const m = /Tracing (\d+) functions|Attaching (\d+) probes/.exec(s.output());
  const t0 = Date.now();
  const exited = waitExit(s.child, 300000);
  s.child.kill('SIGINT');
  const timer = setInterval(() => s.child.kill('SIGINT'), 1000); // bpftrace may ignore the first
  const d = await exited;
  clearInterval(timer);
  return { attach: s.ms, detach: d === Infinity ? Infinity : Date.now() - t0, rssKb, probes: m ? Number(m[1] ?? m[2]) : NaN };
}

export async function benchUprobesScale() {
  const rows = [];
  let base;
  for (const n of COUNTS) {
    const lib = buildBigLib(n);
    const xs = [];
    for (let r = 0; r < RUNS; r++) xs.push(await attachDetach(process.execPath, [join(root, 'bin', 'funccount.js'), `${lib}:big_fn_*`], TRACING));
    const m = (k) => median(xs.map((x) => x[k]));
    base ??= { attach: m('attach'), detach: m('detach'), rss: m('rssKb') };
    rows.push([
      'polytrace funccount',
      String(m('probes')),
      fmt(m('attach')),
      fmt(m('detach')),
      fmt(m('rssKb') / 1024, 1),
      ratio(m('attach'), base.attach),
      ratio(m('detach'), base.detach),
      String(xs.length),
    ]);
    if (n === COUNTS[0] && have('bpftrace')) {
      const b = await attachDetach('bpftrace', ['-e', `BEGIN { printf("attached\\n"); } uprobe:${lib}:big_fn_* { @ = count(); }`], /^attached$/m, {
        BPFTRACE_MAX_PROBES: '20000',
      }).catch((e) => ({ err: String(e).slice(0, 80) }));
      rows.push(
        'err' in b
          ? ['bpftrace', 'failed', b.err, '', '', '', '', '1']
          : [
              'bpftrace',
              String(b.probes - 1),
              fmt(b.attach),
              fmt(b.detach),
              fmt(b.rssKb / 1024, 1),
              `${fmt(b.attach / m('attach'), 1)}x polytrace`,
              `${fmt(b.detach / m('detach'), 1)}x polytrace`,
              '1',
            ],
      );
    }
  }
  printTable(
    `uprobes: funccount LIB:big_fn_* over generated libraries of ${COUNTS.join(', ')} functions (one uprobe_multi link); median of ${RUNS}`,
    ['tool', 'functions', 'exec→attached ms', 'SIGINT→exit ms', 'peak RSS MB', `attach vs ${COUNTS[0]}`, `detach vs ${COUNTS[0]}`, 'runs'],
    rows,
  );
}

// ---------------------------------------------------------------------------------------------
// trace's ceiling: a producer that is not the bottleneck
// ---------------------------------------------------------------------------------------------

const CEILING_RATES = (process.env.BENCH_CEILING_RATES ?? '500000,1000000,2000000,4000000').split(',').map(Number);
const CEILING_N = Number(process.env.BENCH_CEILING_EVENTS ?? 2_000_000);

/**
 * polytrace's trace -p PID at t:sched:sched_kthread_stop (no arguments read, so a raw-tracepoint
 * program; trace keeps syscalls:* tracepoints on perf events, which cannot be test-run), its
 * program run by bench/testrun_producer.c (PID) with BPF_PROG_TEST_RUN: the records, ring
 * buffer, reader and output are trace's own; only what fires the program differs. Full rate, then a paced ladder (stopping at the first loss). bpftrace's and
 * BCC's tracepoint programs cannot be test-run (tracepoint programs take no BPF_PROG_TEST_RUN),
 * so they are measured on the same ladder with getpid_loop's real syscalls.
 */
export async function benchTraceCeiling() {
  const producer = buildC(join(root, 'bench', 'testrun_producer.c'), 'testrun_producer');
  const getpid = buildC(join(root, 'bench', 'getpid_loop.c'), 'getpid_loop');
  const HEADER = /PID\s+TID\s+COMM/;
  const poly = {
    name: 'polytrace trace (test-run producer)',
    cmd: process.execPath,
    args: (pid) => [join(root, 'bin', 'trace.js'), '-p', String(pid), 't:sched:sched_kthread_stop'],
    banner: HEADER,
  };
  const cases = [
    { tool: poly, bin: producer, comm: 'testrun_produc' },
    ...polyOnly(traceTools())
      .slice(1)
      .map((t) => ({ tool: t, bin: getpid, comm: 'getpid_loop' })),
  ];
  const rows = [];
  for (const c of cases) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      const steps = [];
      try {
        const wl = (n, rate) => ({ args: rate ? [n, 'pace', rate] : [n], comm: c.comm });
        steps.push({ rate: 0, ...(await trial(c.tool, c.bin, CEILING_N, 0, wl(CEILING_N, 0))) });
        for (const rate of CEILING_RATES) {
          const x = await trial(c.tool, c.bin, rate, rate, wl(rate, rate));
          steps.push({ rate, ...x });
          if (x.lost || x.unaccounted || x.produceRate < rate * 0.9) break;
        }
      } catch (e) {
        console.log(`${c.tool.name}: ${e instanceof Error ? e.message : e}`);
      }
      runs.push(steps);
    }
    for (const rate of [0, ...CEILING_RATES]) {
      const xs = runs.map((s) => s.find((x) => x.rate === rate)).filter(Boolean);
      if (!xs.length) continue;
      const m = (k) => median(xs.map((x) => x[k]));
      rows.push([
        c.tool.name,
        rate ? `${rate / 1e6} M/s` : 'full',
        fmt(m('produceRate') / 1e6, 2),
        fmt(m('printRate') / 1e6, 2),
        fmt(m('printed'), 0),
        fmt(m('lost'), 0),
        fmt(m('unaccounted'), 0),
        `${xs.filter((x) => x.unaccounted !== 0).length} of ${xs.length}`,
      ]);
    }
  }
  printTable(
    `trace's ceiling: one line per event to a pipe; full rate = ${CEILING_N.toLocaleString('en')} events, then 1 s steps at ${CEILING_RATES.map((r) => r / 1e6).join(', ')} M/s (stopping at the first loss or when the producer falls 10 % short); median of ${RUNS}`,
    ['tool (producer)', 'target', 'produced M/s', 'printed M/s', 'printed', 'reported lost', 'unaccounted', 'trials with printed+lost≠produced'],
    rows,
  );
}
