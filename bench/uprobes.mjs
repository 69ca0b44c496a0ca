// Wildcard uprobes (issue 5): attach time (exec → attached) and detach time (SIGINT → exit) for
// ≥ 1,000 user functions of a generated library (bench/biglib.mjs) and for libc's `str*`, beside
// BCC's funccount (at its 1,000-probe limit) and bpftrace on the same pattern. A 1-function row
// per tool gives the fixed cost, so "per-probe" attach = (N-probe − 1-probe) time.
// bpftrace prints "Attaching N probes..." before it attaches, so its programs carry a
// BEGIN { printf } whose line appears once every probe is attached; it also sometimes ignores
// the first SIGINT, so it gets one per second until it exits.
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { root, have, median, measureAttachDetach, startUntil, waitExit, fmt, printTable } from './lib.mjs';
import { buildBigLib } from './biglib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIG_ANCHOR_RUNS = Number(process.env.BENCH_BIG_ANCHOR_RUNS ?? 1);
const BOUND_MS = Number(process.env.BENCH_DETACH_BOUND_S ?? 90) * 1000;
const LIBC = process.env.BENCH_LIBC ?? '/lib/x86_64-linux-gnu/libc.so.6';
const TRACING = /Tracing (\d+) functions/;
const BEGIN = /^attached$/m;

function poly(pattern) {
  return { tool: 'polytrace funccount', cmd: process.execPath, args: [join(root, 'bin', 'funccount.js'), pattern], banner: TRACING, pattern };
}
function bcc(pattern) {
  return { tool: 'BCC funccount', cmd: 'funccount-bpfcc', args: [pattern], banner: TRACING, pattern };
}
function bpftrace(path, fn) {
  return {
    tool: 'bpftrace',
    cmd: 'bpftrace',
    args: ['-e', `BEGIN { printf("attached\\n"); } uprobe:${path}:${fn} { @ = count(); }`],
    banner: BEGIN,
    env: { BPFTRACE_MAX_PROBES: '5000' },
    pattern: `uprobe:${path.endsWith('libc.so.6') ? 'libc' : 'libbig'}:${fn}`,
    resignal: true,
  };
}

export async function benchUprobes() {
  const lib = buildBigLib(1200);
  const cases = [
    // [case label, config, runs]
    ['1,200 (big_fn_*)', poly(`${lib}:big_fn_*`), RUNS],
    ['1,000 (big_fn_0*)', poly(`${lib}:big_fn_0*`), RUNS],
    ['1 (big_fn_0000)', poly(`${lib}:big_fn_0000`), RUNS],
    ['c:str*', poly('c:str*'), RUNS],
    ['1 (c:strlen)', poly('c:strlen'), RUNS],
  ];
  if (have('funccount-bpfcc')) {
    cases.push(['1,000 (big_fn_0*)', bcc(`${lib}:big_fn_0*`), BIG_ANCHOR_RUNS]);
    cases.push(['1 (big_fn_0000)', bcc(`${lib}:big_fn_0000`), RUNS]);
    cases.push(['c:str*', bcc('c:str*'), RUNS]);
    cases.push(['1 (c:strlen)', bcc('c:strlen'), RUNS]);
  }
  if (have('bpftrace')) {
    cases.push(['1,000 (big_fn_0*)', bpftrace(lib, 'big_fn_0*'), BIG_ANCHOR_RUNS]);
    cases.push(['1 (big_fn_0000)', bpftrace(lib, 'big_fn_0000'), RUNS]);
    cases.push(['c:str*', bpftrace(LIBC, 'str*'), RUNS]);
    cases.push(['1 (c:strlen)', bpftrace(LIBC, 'strlen'), RUNS]);
  }
  const res = cases.map(() => ({ attach: [], detach: [], probes: NaN, err: '' }));
  const maxRuns = Math.max(...cases.map((c) => c[2]));
  for (let run = 0; run < maxRuns; run++) {
    for (const [i, [, c, runs]] of cases.entries()) {
      if (run >= runs) continue;
      try {
        const r = await measureAttachDetach(c, BOUND_MS);
        res[i].attach.push(r.attach);
        res[i].detach.push(r.detach);
        res[i].probes = r.probes;
      } catch (e) {
        res[i].err = String(e instanceof Error ? e.message : e)
          .split('\n')[0]
          .slice(0, 80);
      }
    }
  }
  const med = (i, k) => median(res[i][k]);
  const find = (tool, label) => cases.findIndex(([l, c]) => c.tool === tool && l === label);
  const single = (tool, label) => find(tool, label.startsWith('c:') ? '1 (c:strlen)' : '1 (big_fn_0000)');
  const ms = (x) => (x === Infinity ? `>${BOUND_MS / 1000} s` : fmt(x));
  const rows = [];
  for (const [i, [label, c, runs]] of cases.entries()) {
    if (label.startsWith('1 (')) continue;
    if (!res[i].attach.length) {
      rows.push([c.tool, label, '', runs ? 'failed' : 'not run', '', '', res[i].err, '', String(runs)]);
      continue;
    }
    const one = single(c.tool, label);
    const extra = med(i, 'attach') - (one >= 0 ? med(one, 'attach') : NaN);
    const p = find('polytrace funccount', label);
    const ratioA = p === i ? '1.00x' : `${fmt(med(i, 'attach') / med(p, 'attach'), 1)}x`;
    const ratioD =
      p === i ? '1.00x' : med(i, 'detach') === Infinity ? `>${fmt(BOUND_MS / med(p, 'detach'), 0)}x` : `${fmt(med(i, 'detach') / med(p, 'detach'), 1)}x`;
    rows.push([
      c.tool,
      label,
      String(res[i].probes),
      ms(med(i, 'attach')),
      fmt(extra),
      one >= 0 ? ms(med(one, 'detach')) : '',
      ms(med(i, 'detach')),
      `${ratioA} / ${ratioD}`,
      String(runs),
    ]);
  }
  if (have('strace')) {
    // The kernel side alone: polytrace attaches a wildcard with one uprobe_multi link; strace -T
    // times the bpf(BPF_LINK_CREATE) that attaches it and the close() that detaches it.
    for (const [label, pattern] of [
      ['1,200 (big_fn_*)', `${lib}:big_fn_*`],
      ['1,000 (big_fn_0*)', `${lib}:big_fn_0*`],
    ]) {
      const a = [];
      const d = [];
      for (let run = 0; run < RUNS; run++) {
        const k = await straceLink(pattern).catch(() => null);
        if (k) a.push(k.attach), d.push(k.detach);
      }
      rows.push(['polytrace, link syscalls (strace -T)', label, '', fmt(median(a), 2), '', '', fmt(median(d), 2), '', String(a.length)]);
    }
  }
  printTable(
    'wildcard uprobes: attach and detach',
    [
      'tool',
      'pattern',
      'probes',
      'exec→attached ms',
      'minus 1-probe run ms',
      '1-probe detach ms',
      'detach ms (SIGINT→exit)',
      'ratio to polytrace (attach / detach)',
      'runs',
    ],
    rows,
  );
  console.log(`\nlibbig: ${lib} (1,200 generated functions); libc: ${LIBC}; detach bounded at ${BOUND_MS / 1000} s`);
}

/** Times (ms) of the uprobe_multi BPF_LINK_CREATE and of the close() of its fd, via strace -T. */
export async function straceLink(pattern) {
  const out = join(root, 'bench', '.build', 'strace.txt');
  const s = await startUntil(
    'strace',
    ['-f', '--seccomp-bpf', '-T', '-e', 'trace=bpf,close', '-o', out, process.execPath, join(root, 'bin', 'funccount.js'), pattern],
    TRACING,
    { timeoutMs: 60000 },
  );
  const exited = waitExit(s.child, 15000);
  // Ctrl-C goes to the traced funccount (strace's child), as it would from a terminal
  const kids = readFileSync(`/proc/${s.child.pid}/task/${s.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  for (const k of kids) process.kill(k, 'SIGINT');
  if ((await exited) === Infinity) s.child.kill('SIGKILL');
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  // 0x30 is BPF_TRACE_UPROBE_MULTI, which strace 6.1 does not name yet
  const m = /bpf\(BPF_LINK_CREATE, \{link_create=\{[^\n]*attach_type=(?:0x30|BPF_TRACE_UPROBE_MULTI)[^\n]*\) = (\d+) <([\d.]+)>/.exec(text);
  if (!m) return null;
  const c = new RegExp(`close\\(${m[1]}\\) += 0 <([\\d.]+)>`).exec(text.slice(m.index));
  return { attach: Number(m[2]) * 1000, detach: c ? Number(c[1]) * 1000 : NaN };
}
