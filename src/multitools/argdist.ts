/**
 * argdist: frequency counts (-C) and log2 histograms (-H) of expressions at probes, as BCC's
 * argdist does, with its options (-p -t -z -i -d -n -v -c -T -H -C -I) and its exact output,
 * plus `--json` (one document per interval).
 *
 * All -C specifiers come first, then all -H ones, each in command-line order (as BCC). Each
 * specifier gets its own map and its own section of the output.
 */
import { loadHeaders } from './trace-plan.js';
import { toolCommand, intArg, collect, parseDump, parseListen, pidArg, secondsArg, prometheusHelp, type ListenAddress } from './options.js';
import { runWithSession, out } from '../report/lifecycle.js';
import { runIntervals } from '../report/interval.js';
import { DoubleBuffer } from '../report/double-buffer.js';
import { Counter } from '../report/counters.js';
import { READ_ERRORS_MAP } from '../compile/lower.js';
import { TracerError } from '../errors.js';
import { requireProcess } from '../pipeline/process.js';
import { dumpProgramStages, dumpResolved, dumpStage } from '../pipeline/dump.js';
import { attachTargets, type ProgramShape } from '../attach/targets.js';
import type { TraceSession } from '../session.js';
import type { BpfMap } from '../kernel/map.js';
import type { ProgramSpec } from '../emit/types.js';
import {
  activeMapSpec,
  freqMapSpec,
  histMapSpec,
  droppedMapSpec,
  argdistProgram,
  argdistEntryProgram,
  HIST_SLOTS,
  type KeyValue,
} from '../compile/tools/argdist.js';
import { renderArgdistIntervalHeader, renderArgdistFreq, renderArgdistHist, argdistKey, type ArgdistFreqRow } from '../output/argdist.js';
import {
  plan,
  compileSpecs,
  decodeFreq,
  histSlots,
  freqEntries,
  freqPair,
  type ArgdistPlan,
  type CompiledSite,
  type FreqEntry,
  type ProbePlan,
} from './argdist-plan.js';
import { log2Histogram, record, list, byCountAscending, type OutputValue } from '../output/value.js';
import { log2Layout, renderPrometheus } from '../output/prometheus.js';
import { jsonDocument } from '../output/json.js';

export interface ArgdistOptions {
  readonly pid?: number;
  readonly tid?: number;
  readonly stringSize: number;
  readonly interval: number;
  readonly duration?: number;
  readonly count?: number;
  readonly verbose: boolean;
  readonly cumulative: boolean;
  readonly top?: number;
  readonly histograms: readonly string[];
  readonly counts: readonly string[];
  readonly includes: readonly string[];
  readonly json: boolean;
  readonly dump: readonly string[];
  readonly prometheus?: ListenAddress;
  /** --max-entries: keys each -C probe's hash holds (default FREQ_ENTRIES, BCC's 10,240). */
  readonly maxEntries?: number;
}

const EPILOG = `Probe specifier syntax:
        {p,r,t,u}:{[library],category}:function(signature):type[,type...]:expr[,expr...][:filter]][#label]
        rawtracepoint::name():type[,type...]:expr[,expr...][:filter]][#label]
Where:
        p,r,t,u    -- probe at function entry, function exit, kernel
                      tracepoint, or USDT probe
                      in exit probes: can use $retval, $entry(param), $latency
        rawtracepoint -- (or rt) a kernel tracepoint by name alone, whose
                      arguments are args->name (named and typed from kernel
                      BTF) or arg1, arg2, ...; library and signature stay empty
        library    -- the library that contains the function
                      (leave empty for kernel functions)
        category   -- the category of the kernel tracepoint (e.g. net, sched)
        function   -- the function name to trace (or tracepoint name)
        signature  -- the function's parameters, as in the C header
        type       -- the type of the expression to collect (supports multiple)
        expr       -- the expression to collect (supports multiple)
        filter     -- the filter that is applied to collected values
        label      -- the label for this probe in the resulting output

EXAMPLES:

argdist -H 'p::__kmalloc(u64 size):u64:size'
        Histogram of allocation sizes passed to kmalloc
argdist -p 1005 -C 'p:c:malloc(size_t size):size_t:size:size==16'
        Count how often process 1005 called malloc with 16 bytes
argdist -C 'r:c:gets():char*:(char*)$retval#snooped strings'
        Count the strings returned by gets()
argdist -H 'r::__kmalloc(size_t size):u64:$latency/$entry(size)#ns per byte'
        Histogram of nanoseconds per byte of kmalloc allocations
argdist -p 1005 -C 'p:c:write(int fd):int:fd' -T 5
        The 5 file descriptors process 1005 writes to most
argdist -p 1005 -H 'r:c:read()'
        Histogram of the values read() returns in process 1005
argdist -C 'r::__vfs_read():u32:$PID:$latency > 100000'
        Count, by process, the reads that took more than 0.1 ms
argdist -C 't:irq:irq_handler_entry():int:args->irq'
        Count interrupts by IRQ
argdist -C 't:raw_syscalls:sys_enter():char*:$COMM'
        Count system calls by command name
argdist -H 't:syscalls:sys_exit_read():int:args->ret'
        Histogram of the values read(2) returns
argdist -C 'rawtracepoint::sched_switch():int:args->prev->pid'
        Count context switches by the pid switched away from (the raw
        tracepoint's task_struct pointer, read through BTF)
argdist -p 1337 -C 'u:/usr/bin/python3.11:function__entry():char*:arg2'
        Count the Python functions process 1337 calls (USDT)
argdist -H 'p:c:sleep(u32 seconds):u32:seconds' -H 'p:c:nanosleep(struct timespec *req):long:req->tv_nsec'
        Histograms of sleep() and nanosleep() arguments
argdist --json -C 'p:c:write(int fd):int:fd'
        One JSON document per interval`;

export function parseOptions(argv: readonly string[], prog: string): ArgdistOptions {
  const cmd = toolCommand(prog, 'Trace a function and display a summary of its parameter values.', EPILOG)
    .option('-p, --pid <PID>', 'id of the process to trace (optional)', pidArg())
    .option('-t, --tid <TID>', 'id of the thread to trace (optional)', pidArg('TID'))
    .option('-z, --string-size <STRING_SIZE>', 'maximum string size to read from char* arguments', intArg('string size', { min: 1, max: 255 }), 80)
    .option('-i, --interval <INTERVAL>', 'output interval, in seconds (default 1 second)', secondsArg('interval'), 1)
    .option('-d, --duration <DURATION>', 'total duration of trace, in seconds', secondsArg('duration'))
    .option('-n, --number <COUNT>', 'number of outputs', intArg('count', { min: 1 }))
    .option('-v, --verbose', 'print the BPF programs before running', false)
    .option('-c, --cumulative', 'do not clear histograms and freq counts at each interval', false)
    .option('-T, --top <TOP>', 'number of top results to show (not applicable to histograms)', intArg('top', { min: 0 }))
    .option('-H, --histogram <specifier>', 'probe specifier to capture histogram of (see examples below)', collect, [])
    .option('-C, --count <specifier>', 'probe specifier to capture count of (see examples below)', collect, [])
    .option('-I, --include <header>', 'header of constants, member aliases and user-space structs (kernel types come from BTF)', collect, [])
    .option('--json', 'print one JSON document per interval', false)
    .option('--prometheus <[HOST:]PORT>', prometheusHelp('the counts and histograms'), parseListen)
    .option(
      '--max-entries <N>',
      'distinct keys each -C probe can count per interval (10240 unless set); events with a new key past it are counted as dropped',
      intArg('max entries', { min: 1, max: 1 << 24 }),
    )
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  return {
    pid: o.pid,
    tid: o.tid,
    stringSize: o.stringSize,
    interval: o.interval,
    duration: o.duration,
    count: o.number,
    verbose: o.verbose,
    cumulative: o.cumulative,
    top: o.top,
    histograms: o.histogram,
    counts: o.count,
    includes: o.include,
    json: o.json,
    dump: o.dump,
    prometheus: o.prometheus,
    maxEntries: o.maxEntries,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading and rendering
// ---------------------------------------------------------------------------------------------

export function freqRows(p: ProbePlan, entries: readonly FreqEntry[]): ArgdistFreqRow[] {
  return entries.map((e) => {
    if (p.ast.defaultExpr) {
      return { count: e.count, key: p.ret ? `retval = ${String(e.values[0])}` : 'total calls' };
    }
    return { count: e.count, key: argdistKey(p.display.map((d, i) => [d, String(e.values[i])] as const)) };
  });
}

export type IntervalProbe =
  | { readonly plan: ProbePlan; readonly kind: 'freq'; readonly entries: readonly FreqEntry[] }
  | { readonly plan: ProbePlan; readonly kind: 'hist'; readonly slots: readonly bigint[] };

export function renderInterval(time: Date, probes: readonly IntervalProbe[], top?: number): string {
  let s = renderArgdistIntervalHeader(time);
  for (const x of probes) {
    if (x.kind === 'freq') s += renderArgdistFreq(x.plan.title, freqRows(x.plan, x.entries), top);
    else s += renderArgdistHist(x.plan.title, x.slots);
  }
  return s;
}

/** One `--json` document: every probe's interval, with what its full map refused. */
export function jsonInterval(time: Date, probes: readonly IntervalProbe[], top: number | undefined, dropped: readonly bigint[], readErrors = 0n): string {
  const docs = probes.map((x) => {
    const base = { spec: x.plan.text, ...(x.plan.ast.label !== undefined ? { label: x.plan.ast.label } : {}) };
    if (x.kind === 'hist') return record({ ...base, type: 'histogram', label: x.plan.title, buckets: log2Histogram(x.slots) });
    let rows = byCountAscending(x.entries);
    if (top !== undefined && top > 0) rows = rows.slice(Math.max(0, rows.length - top));
    return record({
      ...base,
      type: 'counts',
      dropped: dropped[x.plan.index] ?? 0n,
      counts: list(rows.map((e) => record({ key: keyRecord(x.plan, e.values), count: e.count }))),
    });
  });
  return jsonDocument(record({ tool: 'argdist', time: time.toISOString(), read_errors: readErrors, probes: list(docs) }));
}

/** A -C key as `--json` writes it and `--prometheus` labels it: each expression as displayed, with its value. */
function keyRecord(p: ProbePlan, values: readonly KeyValue[]): OutputValue {
  const onlyCalls = p.ast.defaultExpr && !p.ret;
  return record(onlyCalls ? {} : Object.fromEntries(p.display.map((d, i) => [d, values[i]!])));
}

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  requireProcess(o.pid);
  const p = plan(o);
  await dumpStage(
    o.dump,
    'ast',
    p.probes.map((x) => x.ast),
  );
  const headers = loadHeaders(o.includes);
  for (const n of headers.notes) process.stderr.write(`${prog}: ${n}\n`);
  const sites = compileSpecs(p, o, undefined, { types: headers.types, macros: headers.macros });
  await dumpResolved(
    o.dump,
    sites.map((s, i) => ({ probe: p.probes[i]!.text, resolved: s.map((x) => x.resolved), names: s.flatMap((x) => x.macros?.used() ?? []) })),
  );
  await runWithSession(o.pid, (session) => trace(o, p, sites, session));
}

function attachAll(o: ArgdistOptions, p: ArgdistPlan, sites: readonly CompiledSite[][], session: TraceSession, specs: ProgramSpec[]): void {
  const dropped = droppedMapSpec(p.probes.length);
  const filter = { pid: o.pid, tid: o.tid };
  for (const probe of p.probes) {
    sites[probe.index]!.forEach(({ resolved, compiled: c }, g) => {
      const prefix = `argdist${probe.index}${g ? `_${g}` : ''}`;
      const common = { pid: o.pid, verbose: o.verbose, onProgram: (s: ProgramSpec) => specs.push(s) };
      const filters = (shape: ProgramShape) => ({ name: shape.name, progType: shape.progType, expectedAttachType: shape.expectedAttachType, filter });
      // The return program first: an entry stash without its reader would only go stale.
      attachTargets(session, [resolved.target], {
        ...common,
        ret: resolved.ret,
        prefix,
        build: (shape) =>
          probe.kind === 'freq'
            ? argdistProgram({
                ...filters(shape),
                kind: 'freq',
                index: probe.index,
                layout: probe.layout,
                freq: freqPair(probe, o.maxEntries),
                active: activeMapSpec(),
                dropped,
                lower: c.lower,
              })
            : argdistProgram({ ...filters(shape), kind: 'hist', index: probe.index, type: probe.types[0]!, hist: histMapSpec(probe.index), lower: c.lower }),
      });
      if (probe.needsEntry) {
        attachTargets(session, [resolved.target], {
          ...common,
          ret: false,
          prefix: `${prefix}e`,
          build: (shape) => {
            if (!c.stash) throw new TracerError(`internal: probe ${probe.index} needs an entry program but has no stash`);
            return argdistEntryProgram({ ...filters(shape), stash: c.stash });
          },
        });
      }
    });
  }
}

async function trace(o: ArgdistOptions, p: ArgdistPlan, sites: readonly CompiledSite[][], session: TraceSession): Promise<void> {
  const specs: ProgramSpec[] = [];
  attachAll(o, p, sites, session, specs);
  await dumpProgramStages(specs, o.dump, { asm: o.verbose });
  await report(o, p, session);
}

/** What a probe keeps from one interval to the next. */
interface ProbeState {
  /** -c: the counts so far, by displayed key. */
  readonly cumulative: Map<string, { values: readonly KeyValue[]; count: bigint }>;
  /** --prometheus: running totals by key, whatever -c says (counters only grow). */
  readonly promCounts: Map<string, { values: readonly KeyValue[]; count: bigint }>;
  /** -H: the slots at the last read (also --prometheus's histogram). */
  slots: bigint[];
  /** -C: events the full hash refused so far (--prometheus's dropped counter). */
  dropped: bigint;
}

/**
 * The intervals. The frequency counts are exact: the -C hashes are double-buffered
 * (report/double-buffer.ts), so each interval drains a hash nothing writes any more.
 */
async function report(o: ArgdistOptions, p: ArgdistPlan, session: TraceSession): Promise<void> {
  const hashes = p.probes.map((x) =>
    x.kind !== 'freq' ? undefined : ([session.maps.get(freqMapSpec(x.index, 1).name)!, session.maps.get(freqMapSpec(x.index, 1, 1, 1).name)!] as const),
  );
  const histMaps = p.probes.map((x) => (x.kind === 'hist' ? session.maps.get(histMapSpec(x.index).name) : undefined));
  const activeMap = session.maps.get(activeMapSpec().name);
  const buffer = activeMap ? DoubleBuffer.open(session, activeMap) : undefined;
  // Updates a full hash refused, per -C probe; failed reads of memory by the expressions.
  const droppedMap = session.maps.get(droppedMapSpec(p.probes.length).name);
  const dropped = p.probes.map((x) =>
    x.kind !== 'freq' ? undefined : Counter.slot(droppedMap, x.index, { kind: 'dropped-keys', spec: x.text, entries: freqEntries(process.env, o.maxEntries) }),
  );
  const readErrors = Counter.slot(session.maps.get(READ_ERRORS_MAP.name), 0, { kind: 'read-errors' });
  const states: ProbeState[] = p.probes.map(() => ({
    cumulative: new Map(),
    promCounts: new Map(),
    slots: new Array<bigint>(HIST_SLOTS).fill(0n),
    dropped: 0n,
  }));
  const reportLoss = () => {
    const d = dropped.map((c) => c?.report() ?? 0n);
    d.forEach((n, i) => (states[i]!.dropped += n));
    return { dropped: d, readErrors: readErrors.report() };
  };
  const exporter = o.prometheus ? await serveArgdist(o.prometheus, p, states) : undefined;
  await runIntervals(
    { interval: o.interval, duration: o.duration, count: o.count, onSignal: 'quiet' },
    {
      // Interrupted during the sleep: BCC's argdist exits quietly, without a last interval, but
      // what a full map refused since the last one is still said.
      quiet: reportLoss,
      read: () => {
        const now = new Date();
        buffer?.flip();
        const probes = p.probes.map(
          (x, i): IntervalProbe =>
            x.kind === 'freq'
              ? freqInterval(x, buffer!.idle(hashes[i]!).drain(), states[i]!, o.cumulative, exporter !== undefined)
              : histInterval(x, histMaps[i]!, states[i]!, o.cumulative),
        );
        return { now, probes, ...reportLoss() };
      },
      print: (d) => out(o.json ? jsonInterval(d.now, d.probes, o.top, d.dropped, d.readErrors) : renderInterval(d.now, d.probes, o.top)),
    },
  );
  await exporter?.close();
}

/** A -C probe's interval (with -c: the counts so far), also added to --prometheus's totals. */
function freqInterval(
  x: ProbePlan,
  drained: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  s: ProbeState,
  cumulative: boolean,
  prom: boolean,
): IntervalProbe {
  const entries = decodeFreq(x, drained);
  if (prom) addCounts(s.promCounts, entries);
  if (!cumulative) return { plan: x, kind: 'freq', entries };
  addCounts(s.cumulative, entries);
  return { plan: x, kind: 'freq', entries: [...s.cumulative.values()].map((e) => ({ values: e.values, count: e.count })) };
}

/** Adds `entries` to running totals by key. */
function addCounts(to: Map<string, { values: readonly KeyValue[]; count: bigint }>, entries: readonly FreqEntry[]): void {
  for (const e of entries) {
    const id = JSON.stringify(e.values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    const have = to.get(id);
    if (have) have.count += e.count;
    else to.set(id, { values: e.values, count: e.count });
  }
}

/** A -H probe's interval: the slots only grow (atomic adds), so it is the difference from the last read. */
function histInterval(x: ProbePlan, map: BpfMap, s: ProbeState, cumulative: boolean): IntervalProbe {
  const total = histSlots(map.lookup(new Uint8Array(4)));
  const slots = cumulative ? total : total.map((v, k) => v - s.slots[k]!);
  s.slots = total;
  return { plan: x, kind: 'hist', slots };
}

/**
 * `--prometheus`: every -C probe as counter series `argdist_events_total{probe,<key>}`, one
 * label per key expression (`$COMM` → `comm`, valued as the text output shows it); every -H
 * probe as a histogram `argdist_value{probe}` whose `le` is each log2 slot's inclusive upper
 * bound. argdist keeps no sum of the values (they may be negative), so there is no `_sum`.
 * Every -C probe also has `argdist_dropped_events_total{probe}`: the events its full hash
 * refused (the same increases the stderr lines and --json's `dropped` report).
 */
async function serveArgdist(addr: ListenAddress, p: ArgdistPlan, states: readonly ProbeState[]) {
  const { serveMetrics } = await import('../report/metrics-server.js');
  return serveMetrics(addr, () =>
    renderPrometheus([
      {
        type: 'counter',
        name: 'argdist_events',
        help: 'Events counted by argdist -C, by probe and key',
        value: 'count',
        rows: p.probes.flatMap((x, i) =>
          x.kind !== 'freq' ? [] : [...states[i]!.promCounts.values()].map((e) => record({ probe: x.title, key: keyRecord(x, e.values), count: e.count })),
        ),
      },
      {
        type: 'counter',
        name: 'argdist_dropped_events',
        help: 'Events argdist -C could not count: a new key found its hash full (raise --max-entries)',
        value: 'count',
        rows: p.probes.flatMap((x, i) => (x.kind !== 'freq' ? [] : [record({ probe: x.title, count: states[i]!.dropped })])),
      },
      {
        type: 'histogram',
        name: 'argdist_value',
        help: "Values histogrammed by argdist -H (log2 slots; le is each slot's inclusive upper bound)",
        value: 'value',
        rows: p.probes.flatMap((x, i) => (x.kind !== 'hist' ? [] : [record({ probe: x.title, value: log2Layout(states[i]!.slots) })])),
      },
    ]),
  );
}
