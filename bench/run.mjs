// npm run bench: every benchmark, side by side with bpftrace and BCC where they run here.
// Needs root. Sections can be picked: node bench/run.mjs funccount btf
// Knobs (environment): BENCH_RUNS (interleaved runs per measurement, default 3), BENCH_EVENTS
// (events per run at a tracepoint, default 1M), BENCH_UPROBE_EVENTS (events per run at a uprobe,
// default 200k), BENCH_TRACE_EVENTS
// (trace full-rate events, default 200k), BENCH_TRACE_RATES (trace ladder, events/s, comma
// separated), BENCH_TRACE_SECONDS (seconds per ladder step, default 1), BENCH_BIG_ANCHOR_RUNS
// (runs of BCC/bpftrace on 1,000 uprobes, default 1: each takes about a minute to detach),
// BENCH_DETACH_BOUND_S (longest detach waited for, default 90), BENCH_SWITCHES (rawtp: context-switch
// round trips, default 200k), BENCH_STACKEXIT_RUNS / BENCH_STACKEXIT_SECONDS (stackexit: runs per
// tool, default 5; seconds counted before SIGINT, default 5); the scale sections' knobs are in bench/scale.mjs.
import os from 'node:os';
import { loadavg } from './lib.mjs';

const all = {
  funccount: async () => (await import('./funccount.mjs')).benchFunccount(),
  btf: async () => import('./btf.mjs'),
  uprobes: async () => (await import('./uprobes.mjs')).benchUprobes(),
  funclatency: async () => (await import('./latstack.mjs')).benchFunclatency(),
  stackcount: async () => (await import('./latstack.mjs')).benchStackcount(),
  stackexit: async () => (await import('./stackexit.mjs')).benchStackExit(),
  argdist: async () => (await import('./argdist.mjs')).benchArgdist(),
  trace: async () => (await import('./trace.mjs')).benchTrace(),
  rawtp: async () => (await import('./rawtp.mjs')).benchRawTracepoints(),
  // Kernel functions: only inside the VM (scripts/vm/run.mjs -- node bench/run.mjs kwildcard).
  kwildcard: async () => (await import('./kwildcard.mjs')).benchKernelWildcards(),
  'argdist-keys': async () => (await import('./scale.mjs')).benchArgdistKeys(),
  'trace-threads': async () => (await import('./scale.mjs')).benchTraceThreads(),
  'uprobes-scale': async () => (await import('./scale.mjs')).benchUprobesScale(),
  'trace-ceiling': async () => (await import('./scale.mjs')).benchTraceCeiling(),
};
const picked = process.argv.slice(2);
for (const p of picked) if (!(p in all)) throw new Error(`unknown section ${p}; sections: ${Object.keys(all).join(' ')}`);
console.log(`# polytrace benchmarks, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs, Linux ${os.release()}, Node ${process.version}`);
console.log(`load average at start: ${loadavg()}`);
const t0 = Date.now();
for (const [name, fn] of Object.entries(all)) {
  // kwildcard needs kprobes (the VM): only when asked for.
  if (picked.length ? !picked.includes(name) : name === 'kwildcard') continue;
  const t = Date.now();
  try {
    await fn();
  } catch (e) {
    console.log(`\n## ${name}: failed: ${e instanceof Error ? e.message : e}`);
  }
  console.log(`\n(${name}: ${((Date.now() - t) / 1000).toFixed(0)} s; load average now ${loadavg()})`);
}
console.log(`\ntotal: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
