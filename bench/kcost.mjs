// Shared by the funclatency, stackcount and argdist sections: for each tool, exec → attached,
// in-kernel ns per event and the workload's extra wall time per event, on the same workload;
// RUNS interleaved runs, medians, ratios to polytrace (the first tool).
import { join } from 'node:path';
import { root, median, buildC, startUntil, stop, setBpfStats, progStats, kernelNsPerEvent, spawnWorkload, fmt, printTable, ratio } from './lib.mjs';

export const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
// uprobe workloads cost ~1-20 µs per event here (the int3 trap), so they run fewer events
export const NU = Number(process.env.BENCH_UPROBE_EVENTS ?? 200_000);
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
export const workloadBin = () => buildC(join(root, 'bench', 'getpid_loop.c'), 'getpid_loop');

/**
 * tools: [{ name, cmd, args, banner, bannerLagMs? }] — bannerLagMs is subtracted from the time
 * to the banner (argdist prints nothing until its first 1 s interval).
 * mode: '' (getpid syscalls) or 'work' (calls of work_fn).
 */
export async function benchKernelCost(title, tools, mode, { n = mode === 'work' ? NU : N, runs = RUNS, note } = {}) {
  const bin = workloadBin();
  const runOnce = async () => {
    const w = await spawnWorkload(bin, [n, mode]);
    return w.go();
  };
  const baseline = median([await runOnce(), await runOnce()]);
  const res = new Map(tools.map((t) => [t.name, { startup: [], ns: [], overhead: [], err: '' }]));
  setBpfStats(true);
  try {
    for (let run = 0; run < runs; run++) {
      for (const t of tools) {
        const r = res.get(t.name);
        let child;
        try {
          const before = new Set(progStats().map((p) => p.id));
          const s = await startUntil(t.cmd, t.args, t.banner, { env: t.env });
          child = s.child;
          await new Promise((ok) => setTimeout(ok, 200));
          const perIter = await runOnce();
          const k = kernelNsPerEvent(before, n * 0.5);
          r.startup.push(s.ms - (t.bannerLagMs ?? 0));
          r.ns.push(k.perEvent);
          r.overhead.push(perIter - baseline);
        } catch (e) {
          r.err = String(e instanceof Error ? e.message : e)
            .split('\n')[0]
            .slice(0, 80);
        } finally {
          if (child) await stop(child);
        }
      }
    }
  } finally {
    setBpfStats(false);
  }
  const p = res.get(tools[0].name);
  const rows = tools.map((t) => {
    const r = res.get(t.name);
    if (!r.ns.length) return [t.name, 'failed', '', '', r.err];
    const st = median(r.startup);
    const ns = median(r.ns);
    return [
      t.name,
      fmt(st),
      fmt(ns),
      fmt(median(r.overhead)),
      t === tools[0] ? '1.00x / 1.00x' : `${ratio(st, median(p.startup))} / ${ratio(ns, median(p.ns))}`,
    ];
  });
  printTable(
    `${title}: ${n} events, median of ${runs}`,
    ['tool', 'exec→attached ms', 'kernel ns/event', 'overhead ns/event', 'ratio to polytrace (startup / kernel ns)'],
    rows,
  );
  console.log(`\nworkload alone: ${fmt(baseline)} ns/event${note ? `; ${note}` : ''}`);
  return res;
}
