// Wildcards over kernel functions (issue 18): attach time (exec → attached) and detach time
// (SIGINT → exit) of `funccount 'vfs_*'` and `funccount 'tcp_*'` (about 70 and 360 functions),
// beside bpftrace's `kprobe:PATTERN { @ = count(); }` in the same run. Kernel functions need
// the VM (the host has no kprobes): run it there, once per kernel —
//   scripts/vm/run.mjs --kernel VMLINUZ -- node bench/run.mjs kwildcard
// On a kernel without kprobe_multi (Debian 6.1) both attach one kprobe per function, whose
// perf event waits for an RCU grace period when closed; with it (6.12) one link. There,
// polytrace also runs with POLYTRACE_DISABLE=kprobe_multi, for the kprobe path on that kernel.
// bpftrace prints "Attaching N probes..." before it attaches: its program has a BEGIN probe
// whose line appears once every probe is attached, and it gets a SIGINT a second until it
// exits (0.17 sometimes ignores the first).
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { root, have, median, measureAttachDetach, fmt, printTable } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BOUND_MS = Number(process.env.BENCH_DETACH_BOUND_S ?? 180) * 1000;
const PATTERNS = (process.env.BENCH_KWILDCARDS ?? 'vfs_*,tcp_*').split(',');
const TRACING = /Tracing (\d+) functions/;
const BEGIN = /^attached$/m;

function haveKprobeMulti() {
  try {
    // CONFIG_FPROBE is what kprobe_multi needs: the config of the VM's kernel package
    // (POLYTRACE_VM_KERNEL_TREE, as scripts/test-vm.mjs passes it), else /boot's.
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    const tree = process.env.POLYTRACE_VM_KERNEL_TREE ?? '/';
    return /^CONFIG_FPROBE=y$/m.test(readFileSync(join(tree, 'boot', `config-${release}`), 'utf8'));
  } catch {
    return undefined;
  }
}

function cases(pattern, multi) {
  const poly = (label, env) => ({ tool: label, cmd: process.execPath, args: [join(root, 'bin', 'funccount.js'), pattern], banner: TRACING, env });
  const out = [poly('polytrace funccount', {})];
  if (multi !== false) out.push(poly('polytrace, kprobes forced (POLYTRACE_DISABLE=kprobe_multi)', { POLYTRACE_DISABLE: 'kprobe_multi' }));
  if (have('bpftrace')) {
    out.push({
      tool: 'bpftrace',
      cmd: 'bpftrace',
      args: ['-e', `BEGIN { printf("attached\\n"); } kprobe:${pattern} { @ = count(); }`],
      banner: BEGIN,
      env: { BPFTRACE_MAX_PROBES: '5000' },
      resignal: true,
    });
  }
  return out;
}

export async function benchKernelWildcards() {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const multi = haveKprobeMulti();
  const rows = [];
  for (const pattern of PATTERNS) {
    const cs = cases(pattern, multi);
    const res = new Map(cs.map((c) => [c.tool, { attach: [], detach: [], probes: NaN, err: '' }]));
    for (let run = 0; run < RUNS; run++) {
      for (const c of cs) {
        const r = res.get(c.tool);
        try {
          const m = await measureAttachDetach(c, BOUND_MS);
          r.attach.push(m.attach);
          r.detach.push(m.detach);
          r.probes = m.probes;
        } catch (e) {
          r.err = String(e.message ?? e)
            .split('\n')[0]
            .slice(0, 120);
        }
      }
    }
    for (const c of cs) {
      const r = res.get(c.tool);
      if (!r.attach.length) {
        rows.push([c.tool, pattern, '', `failed: ${r.err}`, '', '']);
        continue;
      }
      const d = median(r.detach);
      rows.push([
        c.tool,
        pattern,
        String(r.probes),
        fmt(median(r.attach) / 1000, 2),
        d === Infinity ? `> ${BOUND_MS / 1000}` : fmt(d / 1000, 2),
        String(r.attach.length),
      ]);
    }
  }
  printTable(
    `kernel-function wildcards on ${release} (kprobe_multi: ${multi === undefined ? 'unknown' : multi ? 'yes' : 'no'}): attach and detach, median of ${RUNS}`,
    ['tool', 'pattern', 'probes', 'attach s', 'detach s', 'runs'],
    rows,
  );
}
