/**
 * funclatency: time functions and print their latency as a log2 histogram, as BCC's
 * funclatency does, with its options (-p -i -d -T -u -m -F -r -l -v), libbpf-tools' -c CGROUP
 * and -k, and `--json`.
 */
import { statSync } from 'node:fs';
import { toolCommand, intArg, parseDump, parseListen, pidArg, secondsArg, prometheusHelp, type ListenAddress } from './options.js';
import { runWithSession, out } from '../report/lifecycle.js';
import { runIntervals } from '../report/interval.js';
import { ResolveError, UsageError } from '../errors.js';
import { targetLibrary, type ProbeTarget } from '../probes/targets.js';
import { latencyMaps, latencyEntryProgram, latencyReturnProgram, MAX_LEVEL, KERNEL_TGID, type LatencyUnit } from '../compile/tools/latency.js';
import { attachTargets } from '../attach/targets.js';
import type { TraceSession } from '../session.js';
import { ProgType, type MapSpec, type ProgramSpec } from '../emit/types.js';
import { CGROUP_MAP } from '../compile/filter.js';
import { planPattern } from '../pipeline/pattern.js';
import { cgroupFilterMap } from '../pipeline/cgroup.js';
import { requireProcess } from '../pipeline/process.js';
import { dumpProgramStages, dumpResolved, dumpStage } from '../pipeline/dump.js';
import { renderFunccountBanner, DETACHING } from '../output/funccount.js';
import { renderFunclatencyInterval, funclatencySectionTitle } from '../output/funclatency.js';
import { LOG2_SLOTS, type HistSection } from '../output/log2hist.js';
import { log2Histogram, record, list } from '../output/value.js';
import { log2Layout, renderPrometheus } from '../output/prometheus.js';
import { jsonDocument } from '../output/json.js';
import { trueDivide } from '../output/pyfmt.js';
import { renderHeatmap, heatmapTitle, type HeatmapColumn } from '../output/heatmap.js';
import { checkOutputPath, OutputFile } from '../output/write-file.js';

export interface FunclatencyOptions {
  readonly pattern: string;
  readonly pid?: number;
  readonly interval?: number;
  readonly duration?: number;
  readonly timestamp: boolean;
  readonly unit: LatencyUnit;
  readonly function: boolean;
  readonly regexp: boolean;
  readonly level?: number;
  readonly verbose: boolean;
  readonly ebpf: boolean;
  readonly cgroup?: string;
  readonly kprobes: boolean;
  readonly json: boolean;
  readonly dump: readonly string[];
  readonly prometheus?: ListenAddress;
  readonly heatmap?: string;
}

const EPILOG = `examples:
    funclatency do_sys_open       # time the do_sys_open() kernel function
    funclatency c:read            # time the read() C library function
    funclatency -u vfs_read       # time vfs_read(), in microseconds
    funclatency -m do_nanosleep   # time do_nanosleep(), in milliseconds
    funclatency -i 2 -d 10 c:open # output every 2 seconds, for duration 10s
    funclatency -mTi 5 vfs_read   # output every 5 seconds, with timestamps
    funclatency -p 181 vfs_read   # time process 181 only
    funclatency 'vfs_fstat*'      # time both vfs_fstat() and vfs_fstatat()
    funclatency 'c:*printf'       # time the *printf family of functions
    funclatency -F 'vfs_r*'       # show one histogram per matched function
    funclatency -l 8 -F ./a.out:fact   # time recursive calls, 8 levels deep
    funclatency -c /sys/fs/cgroup/system.slice c:malloc   # one cgroup only
    funclatency --json -u c:read  # one JSON document per interval
    funclatency -i 1 --heatmap lat.svg c:read   # latency heat map, a column a second
    funclatency --prometheus 127.0.0.1:9101 c:read   # serve a histogram for Prometheus`;

export function parseOptions(argv: readonly string[], prog: string): FunclatencyOptions {
  const cmd = toolCommand(prog, 'Time functions and print latency as a histogram', EPILOG)
    .argument('<pattern>', 'search expression for functions')
    .option('-p, --pid <PID>', 'trace this PID only', pidArg())
    .option('-i, --interval <INTERVAL>', 'summary interval, in seconds', secondsArg('interval'))
    .option('-d, --duration <DURATION>', 'total duration of trace, in seconds', secondsArg('duration'))
    .option('-T, --timestamp', 'include timestamp on output', false)
    .option('-u, --microseconds', 'microsecond histogram', false)
    .option('-m, --milliseconds', 'millisecond histogram', false)
    .option('-F, --function', 'show a separate histogram per function', false)
    .option('-r, --regexp', 'use regular expressions. Default is "*" wildcards only.', false)
    .option('-l, --level <LEVEL>', 'set the level of nested or recursive functions', intArg('level', { min: 1 }))
    .option('-v, --verbose', 'print the BPF program (for debugging purposes)', false)
    .option('-c, --cgroup <CGROUP>', 'trace processes in this cgroup (v2 directory) only')
    .option('-k, --kprobes', 'use kprobes for kernel functions, not fentry', false)
    .option('--json', 'print one JSON document per interval', false)
    .option('--ebpf', 'print the BPF program and exit', false)
    .option('--prometheus <[HOST:]PORT>', prometheusHelp('the histogram'), parseListen)
    .option('--heatmap <FILE>', 'write a latency heat map (SVG) to FILE at each interval (needs -i; a symlink is refused)')
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  if (o.level !== undefined && o.level > MAX_LEVEL) {
    throw new UsageError(`argument -l/--level: level must be between 1 and ${MAX_LEVEL}, got ${o.level}`);
  }
  if (o.heatmap !== undefined && o.interval === undefined) {
    throw new UsageError('argument --heatmap: a heat map has a column per interval: give -i/--interval too', [`see '${prog} -h'`]);
  }
  return {
    pattern: cmd.args[0]!,
    pid: o.pid,
    interval: o.interval,
    duration: o.duration,
    timestamp: o.timestamp,
    unit: o.milliseconds ? 'msecs' : o.microseconds ? 'usecs' : 'nsecs',
    function: o.function,
    regexp: o.regexp,
    level: o.level,
    verbose: o.verbose,
    ebpf: o.ebpf,
    cgroup: o.cgroup,
    kprobes: o.kprobes,
    json: o.json,
    dump: o.dump,
    prometheus: o.prometheus,
    heatmap: o.heatmap,
  };
}

/** What the options mean for the program (BCC's need_key; nesting honoured whenever -l > 1). */
export interface FunclatencyPlan {
  readonly keyed: boolean;
  readonly perProcess: boolean;
  readonly level?: number;
}

export function plan(o: FunclatencyOptions, ref: { readonly library: string }): FunclatencyPlan {
  const user = ref.library !== '';
  return {
    keyed: o.function || (user && o.pid === undefined),
    perProcess: user,
    ...(o.level !== undefined && o.level > 1 ? { level: o.level } : {}),
  };
}

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  // Before anything is attached: a heat map that could not be written is a lost result.
  checkOutputPath('--heatmap', o.heatmap);
  requireProcess(o.pid);
  if (o.cgroup !== undefined) {
    let dir = false;
    try {
      dir = statSync(o.cgroup).isDirectory();
    } catch {
      // reported below
    }
    if (!dir) throw new ResolveError(`cgroup ${o.cgroup} is not a directory`, ['give a cgroup v2 directory, e.g. /sys/fs/cgroup/system.slice']);
  }
  const resolved = planPattern(o.pattern, 'funclatency', { regex: o.regexp, pid: o.pid });
  await dumpStage(o.dump, 'ast', resolved.ast);
  const targets = resolved.probes.map((x) => x.target);
  await dumpResolved(o.dump, [{ probe: o.pattern, resolved: resolved.probes }]);

  const p = plan(o, resolved.ast);
  if (o.ebpf) {
    await dumpProgramStages(programsFor(o, p, o.cgroup !== undefined ? CGROUP_MAP : undefined), [], { asm: true });
    return;
  }
  await runWithSession(o.pid, (session) => trace(o, p, targets, session, prog));
}

/** The two programs as they would be built for a cookie-carrying attachment (for --ebpf). */
function programsFor(o: FunclatencyOptions, p: FunclatencyPlan, cgroup: MapSpec | undefined): ProgramSpec[] {
  const maps = latencyMaps({ level: p.level });
  return [
    latencyEntryProgram({ name: 'funclat_e', progType: ProgType.Kprobe, maps, level: p.level, filter: { pid: o.pid, cgroup } }),
    latencyReturnProgram({
      name: 'funclat_r',
      progType: ProgType.Kprobe,
      maps,
      level: p.level,
      unit: o.unit,
      keyed: p.keyed,
      perProcess: p.perProcess,
      slot: { kind: 'cookie' },
    }),
  ];
}

async function trace(o: FunclatencyOptions, p: FunclatencyPlan, targets: readonly ProbeTarget[], session: TraceSession, prog: string): Promise<number> {
  const maps = latencyMaps({ level: p.level });
  const filter = { pid: o.pid, ...(o.cgroup !== undefined ? { cgroup: cgroupFilterMap(session, o.cgroup) } : {}) };
  const specs: ProgramSpec[] = [];
  const common = { pid: o.pid, verbose: o.verbose, onProgram: (s: ProgramSpec) => specs.push(s) };
  // Return probes first: an entry without its return probe would leave stale start times.
  attachTargets(session, targets, {
    ...common,
    ret: true,
    prefix: 'funclat_r',
    build: (shape) =>
      latencyReturnProgram({
        name: shape.name,
        progType: shape.progType,
        expectedAttachType: shape.expectedAttachType,
        maps,
        level: p.level,
        unit: o.unit,
        keyed: p.keyed,
        perProcess: p.perProcess,
        slot: shape.slot,
      }),
  });
  attachTargets(session, targets, {
    ...common,
    ret: false,
    prefix: 'funclat_e',
    build: (shape) =>
      latencyEntryProgram({
        name: shape.name,
        progType: shape.progType,
        expectedAttachType: shape.expectedAttachType,
        maps,
        level: p.level,
        filter,
      }),
  });
  await dumpProgramStages(specs, o.dump, { asm: o.verbose });
  const banner = renderFunccountBanner(targets.length, o.pattern);
  if (o.json) process.stderr.write(banner);
  else await out(banner);

  return report(o, p, targets, session, prog);
}

/**
 * The intervals: histograms drained from the kernel, printed, served and drawn. Exits 1 when
 * the heat map could not be written at the end (the text report is on stdout).
 */
async function report(o: FunclatencyOptions, p: FunclatencyPlan, targets: readonly ProbeTarget[], session: TraceSession, prog: string): Promise<number> {
  const hist = session.maps.get('hist')!;
  const avg = session.maps.get('avg')!;
  // The kernel's hist map is drained as it is read: a scrape and an interval both take what
  // is there, the interval's share waits in `pending`, and `cumulative` keeps the totals.
  let pending: Array<readonly [Uint8Array, Uint8Array]> = [];
  const cumulative = new Map<string, Section>();
  const take = () => {
    const got = hist.drain();
    pending = pending.concat(got);
    if (o.prometheus) {
      for (const s of readHist(got, targets, p)) {
        const id = `${s.name}\0${s.tgid ?? ''}`;
        const c = cumulative.get(id);
        if (!c) cumulative.set(id, { ...s, slots: [...s.slots] });
        else s.slots.forEach((n, i) => ((c.slots as bigint[])[i]! += n));
      }
    }
  };
  const avgTotals = () => {
    const a = avg.lookup(new Uint8Array(4));
    return a ? sumAvg(a, avg.ncpus) : { total: 0n, count: 0n };
  };
  const exporter = o.prometheus
    ? await serveHistogram(o, o.prometheus, targets, () => {
        take();
        return { sections: [...cumulative.values()], totalNs: avgTotals().total };
      })
    : undefined;
  const columns: HeatmapColumn[] = [];
  const heatmap = o.heatmap !== undefined ? new OutputFile(o.heatmap, 'heat map', prog) : undefined;
  let prevTotal = 0n;
  let prevCount = 0n;
  await runIntervals(
    { interval: o.interval, duration: o.duration, onSignal: 'report' },
    {
      read: () => {
        take();
        const sections = readHist(pending, targets, p);
        pending = [];
        const { total, count } = avgTotals();
        const block = { sections, totalNs: total - prevTotal, count: count - prevCount };
        prevTotal = total;
        prevCount = count;
        if (heatmap) drawHeatmap(o, columns, sections, heatmap);
        return block;
      },
      print: ({ sections, totalNs, count }) =>
        out(
          o.json
            ? jsonInterval(o, p, sections, totalNs, count, new Date())
            : renderFunclatencyInterval({
                unit: o.unit,
                timestamp: o.timestamp ? new Date() : undefined,
                totalNs,
                count,
                hist: p.keyed ? sections : (sections[0]?.slots ?? []),
              }),
        ),
    },
  );
  await exporter?.close();
  if (!o.json) await out(DETACHING);
  return heatmap?.failed ? 1 : 0;
}

/** `--heatmap`: a column more (this interval's calls, all sections summed), the SVG rewritten. */
function drawHeatmap(o: FunclatencyOptions, columns: HeatmapColumn[], sections: readonly Section[], file: OutputFile): void {
  const slots = new Array<bigint>(LOG2_SLOTS).fill(0n);
  for (const s of sections) s.slots.forEach((n, i) => (slots[i]! += n));
  columns.push({ time: new Date(), slots });
  file.write(renderHeatmap({ title: heatmapTitle('funclatency', o.pattern, o.unit, o.interval!), unit: o.unit, columns }));
}

/**
 * `--prometheus`: `funclatency_seconds{function,library[,pid]}`, one histogram series per
 * section (per function with -F, per process for user functions), every log2 slot a bucket
 * whose `le` is the slot's inclusive upper bound in seconds (with -u/-m the kernel truncates
 * to whole units, so slot k ends 1 ns before 2^k units).
 */
async function serveHistogram(
  o: FunclatencyOptions,
  addr: ListenAddress,
  targets: readonly ProbeTarget[],
  read: () => { sections: readonly Section[]; totalNs: bigint },
) {
  const { serveMetrics } = await import('../report/metrics-server.js');
  const scale = o.unit === 'msecs' ? 1_000_000n : o.unit === 'usecs' ? 1000n : 1n;
  const t0 = targets[0]!;
  const library = targetLibrary(t0);
  const one = targets.length === 1 ? t0.name : o.pattern;
  return serveMetrics(addr, () => {
    const { sections, totalNs } = read();
    // One series: the kernel's exact total; several: shared out (log2Sums).
    const sums: readonly (bigint | number)[] = sections.length <= 1 ? [totalNs] : log2Sums(sections, Number(totalNs)).map((x) => x.sum);
    const rows = sections.map((s, i) =>
      record({
        function: s.name || one,
        library,
        pid: s.tgid ?? o.pid,
        latency: log2Layout(s.slots, { unit: 'nsecs', scale }),
        sum: sums[i]!,
      }),
    );
    return renderPrometheus([
      {
        type: 'histogram',
        name: 'funclatency_seconds',
        help: `Latency of ${o.pattern} in seconds (BCC's log2 slots; le is each slot's inclusive upper bound)`,
        rows,
        value: 'latency',
        sum: 'sum',
      },
    ]);
  });
}

/**
 * The `_sum` of each series. The kernel keeps one total for all calls: with one series it is
 * that series' exact sum; with several, the total is shared out in proportion to each
 * series' bucket midpoints (so the sums add up to the exact total).
 */
export function log2Sums<S extends { readonly slots: readonly bigint[] }>(sections: readonly S[], total: number): { section: S; sum: number }[] {
  if (sections.length <= 1) return sections.map((section) => ({ section, sum: total }));
  const est = sections.map((s) => s.slots.reduce((a, n, i) => a + Number(n) * (i === 0 ? 0 : 0.75 * 2 ** i), 0));
  const all = est.reduce((a, b) => a + b, 0);
  return sections.map((section, i) => ({ section, sum: all > 0 ? (total * est[i]!) / all : 0 }));
}

function sumAvg(v: Uint8Array, ncpus: number): { total: bigint; count: bigint } {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  let total = 0n;
  let count = 0n;
  for (let c = 0; c < ncpus; c++) {
    total += dv.getBigUint64(c * 16, true);
    count += dv.getBigUint64(c * 16 + 8, true);
  }
  return { total, count };
}

interface Section extends HistSection {
  readonly name: string;
  readonly tgid?: number;
}

/** Drained `hist` entries → one section per (function, process), sorted by name then tgid. */
export function readHist(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, targets: readonly ProbeTarget[], p: FunclatencyPlan): Section[] {
  const by = new Map<string, { name: string; tgid?: number; slots: bigint[] }>();
  for (const [k, v] of entries) {
    const kd = new DataView(k.buffer, k.byteOffset, k.byteLength);
    const fslot = kd.getUint32(0, true);
    const tgid = kd.getUint32(4, true);
    const bucket = kd.getUint32(8, true);
    const n = new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
    const id = `${fslot}/${tgid}`;
    let s = by.get(id);
    if (!s) {
      const name = p.keyed ? (targets[fslot]?.name ?? `[slot ${fslot}]`) : '';
      const shownTgid = p.keyed && p.perProcess && tgid !== KERNEL_TGID ? tgid : undefined;
      s = { name, ...(shownTgid !== undefined ? { tgid: shownTgid } : {}), slots: new Array<bigint>(LOG2_SLOTS).fill(0n) };
      by.set(id, s);
    }
    if (bucket < LOG2_SLOTS) s.slots[bucket]! += n;
  }
  return [...by.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : (a.tgid ?? 0) - (b.tgid ?? 0)))
    .map((s) => ({ name: s.name, ...(s.tgid !== undefined ? { tgid: s.tgid } : {}), slots: s.slots, title: funclatencySectionTitle(s.name, s.tgid) }));
}

/** One `--json` document: this interval's histograms, total and count of calls. */
export function jsonInterval(
  o: Pick<FunclatencyOptions, 'pattern' | 'unit'>,
  p: Pick<FunclatencyPlan, 'keyed'>,
  sections: readonly Section[],
  totalNs: bigint,
  count: bigint,
  time: Date,
): string {
  const div = o.unit === 'msecs' ? 1_000_000n : o.unit === 'usecs' ? 1000n : 1n;
  const histograms = sections.map((s) =>
    record({
      ...(p.keyed ? { function: s.name, tgid: s.tgid } : {}),
      buckets: log2Histogram(s.slots),
    }),
  );
  return jsonDocument(
    record({
      tool: 'funclatency',
      time: time.toISOString(),
      pattern: o.pattern,
      unit: o.unit,
      histograms: list(histograms),
      total: div === 1n ? totalNs : trueDivide(totalNs, div),
      count,
      avg: count > 0n ? trueDivide(totalNs, count * div) : undefined,
    }),
  );
}
