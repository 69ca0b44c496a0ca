/**
 * argdist: frequency counts (-C) and log2 histograms (-H) of expressions at probes, as BCC's
 * argdist does, with its options (-p -t -z -i -d -n -v -c -T -H -C -I) and its exact output,
 * plus `--json` (one document per interval).
 *
 * All -C specifiers come first, then all -H ones, each in command-line order (as BCC). Each
 * specifier gets its own map and its own section of the output.
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { toolCommand, intArg, parseDump, parseListen, type ListenAddress } from './options.js';
import { runWithSession, dumpJson, sleepOrStop, out, stopped } from './lifecycle.js';
import { ProgramBarrier } from '../kernel/barrier.js';
import { READ_ERRORS_MAP } from '../compile/lower.js';
import { CheckError, DiagnosticsError, ResolveError, TracerError, assertNever } from '../errors.js';
import { withSource } from '../compile/diagnose.js';
import { parseArgdistSpec } from '../specs/parse.js';
import { walk } from '../specs/walk.js';
import type { ArgdistKind, ArgdistSpecAst, Expr, TypeName } from '../specs/ast.js';
import { resolveTracepointPattern, resolveUprobePattern, resolveUsdtPattern } from '../probes/pattern.js';
import { resolveKernelPattern } from '../probes/kernel.js';
import type { ProbeTarget } from '../probes/targets.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { btfForKernelFunction, loadKernelBtf } from '../kernel/btf.js';
import type { BtfSpec, BtfType } from '../btf/index.js';
import { attachTargets, type ProgramShape } from '../attach/targets.js';
import { TraceSession } from '../session.js';
import type { BpfMap } from '../kernel/map.js';
import { disasm } from '../emit/disasm.js';
import type { MapSpec, ProgramSpec } from '../emit/types.js';
import {
  keyLayout, decodeField, freqMapSpec, activeMapSpec, histMapSpec, droppedMapSpec, argdistProgram, argdistEntryProgram,
  compileArgdist, HIST_SLOTS, FREQ_ENTRIES, type ArgdistValueType, type KeyLayout, type KeyValue, type ArgdistSite,
  type CompiledArgdist,
} from '../compile/tools/argdist.js';
import { readTracepointFormat } from '../symbols/tracefs.js';
import { ElfFile } from '../symbols/elf.js';
import { usdtProbes } from '../symbols/usdt/probes.js';
import {
  renderArgdistIntervalHeader, renderArgdistFreq, renderArgdistHist, argdistFreqTitle, argdistHistLabel, argdistKey,
  type ArgdistFreqRow,
} from '../output/argdist.js';
import { log2Buckets } from '../output/value.js';
import { jsonLine, type JsonValue } from '../output/json.js';

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
}

const EPILOG = `Probe specifier syntax:
        {p,r,t,u}:{[library],category}:function(signature):type[,type...]:expr[,expr...][:filter]][#label]
Where:
        p,r,t,u    -- probe at function entry, function exit, kernel
                      tracepoint, or USDT probe
                      in exit probes: can use $retval, $entry(param), $latency
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
argdist -p 1337 -C 'u:/usr/bin/python3.11:function__entry():char*:arg2'
        Count the Python functions process 1337 calls (USDT)
argdist -H 'p:c:sleep(u32 seconds):u32:seconds' -H 'p:c:nanosleep(struct timespec *req):long:req->tv_nsec'
        Histograms of sleep() and nanosleep() arguments
argdist --json -C 'p:c:write(int fd):int:fd'
        One JSON document per interval`;

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

export function parseOptions(argv: readonly string[], prog: string): ArgdistOptions {
  const cmd = toolCommand(prog, 'Trace a function and display a summary of its parameter values.', EPILOG)
    .option('-p, --pid <PID>', 'id of the process to trace (optional)', intArg('PID', { min: 1 }))
    .option('-t, --tid <TID>', 'id of the thread to trace (optional)', intArg('TID', { min: 1 }))
    .option('-z, --string-size <STRING_SIZE>', 'maximum string size to read from char* arguments', intArg('string size', { min: 1 }), 80)
    .option('-i, --interval <INTERVAL>', 'output interval, in seconds (default 1 second)', intArg('interval', { min: 1 }), 1)
    .option('-d, --duration <DURATION>', 'total duration of trace, in seconds', intArg('duration', { min: 1 }))
    .option('-n, --number <COUNT>', 'number of outputs', intArg('count', { min: 1 }))
    .option('-v, --verbose', 'print the BPF programs before running', false)
    .option('-c, --cumulative', 'do not clear histograms and freq counts at each interval', false)
    .option('-T, --top <TOP>', 'number of top results to show (not applicable to histograms)', intArg('top', { min: 0 }))
    .option('-H, --histogram <specifier>', 'probe specifier to capture histogram of (see examples below)', collect, [])
    .option('-C, --count <specifier>', 'probe specifier to capture count of (see examples below)', collect, [])
    .option('-I, --include <header>', 'additional header files (kernel types come from BTF)', collect, [])
    .option('--json', 'print one JSON document per interval', false)
    .option('--prometheus <[HOST:]PORT>', 'serve the counts and histograms at http://HOST:PORT/metrics for Prometheus', parseListen)
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  if (o.stringSize > 255) throw new InvalidArgumentError('string size must be at most 255');
  return {
    pid: o.pid, tid: o.tid, stringSize: o.stringSize, interval: o.interval, duration: o.duration, count: o.number,
    verbose: o.verbose, cumulative: o.cumulative, top: o.top, histograms: o.histogram, counts: o.count,
    includes: o.include, json: o.json, dump: o.dump, prometheus: o.prometheus,
  };
}

// ---------------------------------------------------------------------------------------------
// Plan: specifiers → probes (pure, given a type resolver)
// ---------------------------------------------------------------------------------------------

export interface ProbePlan {
  readonly index: number;
  readonly kind: 'freq' | 'hist';
  readonly ast: ArgdistSpecAst;
  /** The specifier as typed. */
  readonly text: string;
  /** Freq: the title line; hist: the histogram's label. */
  readonly title: string;
  /** Each expression as BCC displays it (`$entry(x)` as `x`). */
  readonly display: readonly string[];
  readonly types: readonly ArgdistValueType[];
  readonly layout: KeyLayout;
  /** Return probes that need an entry program ($entry / $latency anywhere). */
  readonly needsEntry: boolean;
}

export interface ArgdistPlan {
  readonly probes: readonly ProbePlan[];
}

const SIZED: Readonly<Record<string, readonly [1 | 2 | 4 | 8, boolean]>> = {
  u8: [1, false], u16: [2, false], u32: [4, false], u64: [8, false],
  s8: [1, true], s16: [2, true], s32: [4, true], s64: [8, true],
  __u8: [1, false], __u16: [2, false], __u32: [4, false], __u64: [8, false],
  __s8: [1, true], __s16: [2, true], __s32: [4, true], __s64: [8, true],
  __be16: [2, false], __be32: [4, false], __be64: [8, false], __le16: [2, false], __le32: [4, false], __le64: [8, false],
  uint8_t: [1, false], uint16_t: [2, false], uint32_t: [4, false], uint64_t: [8, false],
  int8_t: [1, true], int16_t: [2, true], int32_t: [4, true], int64_t: [8, true],
  uintptr_t: [8, false], intptr_t: [8, true], size_t: [8, false], ssize_t: [8, true],
  pid_t: [4, true], uid_t: [4, false], gid_t: [4, false], loff_t: [8, true], off_t: [8, true],
  bool: [1, false], gfp_t: [4, false], umode_t: [2, false], mode_t: [4, false], dev_t: [4, false],
  sector_t: [8, false], ktime_t: [8, true], time64_t: [8, true], time_t: [8, true], clockid_t: [4, true],
  fmode_t: [4, false], phys_addr_t: [8, false], dma_addr_t: [8, false], atomic_t: [4, true], atomic64_t: [8, true],
  char: [1, true], 'signed char': [1, true], 'unsigned char': [1, false], short: [2, true], 'unsigned short': [2, false],
  int: [4, true], 'unsigned int': [4, false], long: [8, true], 'unsigned long': [8, false],
  'long long': [8, true], 'unsigned long long': [8, false], _Bool: [1, false],
};

function typeText(t: TypeName, source: string): string {
  return source.slice(t.span.start, t.span.end).trim();
}

function fromBtf(btf: BtfSpec, t: BtfType, name: string): ArgdistValueType | undefined {
  const u = btf.underlying(t.id);
  if (u.kind === 'int') return { kind: 'int', size: u.size as 1 | 2 | 4 | 8, signed: u.signed, name };
  if (u.kind === 'enum') return { kind: 'int', size: u.size as 1 | 2 | 4 | 8, signed: u.signed, name };
  if (u.kind === 'ptr') return { kind: 'int', size: 8, signed: false, name };
  return undefined;
}

/** The storage of a type written in a specifier's type list. */
export function valueType(t: TypeName, source: string, stringSize: number, btf: () => BtfSpec): ArgdistValueType {
  const name = typeText(t, source);
  const b = t.base;
  if (t.pointer > 0) {
    const isChar = b.kind === 'basic' && (b.name === 'char' || b.name === 'signed char' || b.name === 'unsigned char');
    if (t.pointer === 1 && isChar) return { kind: 'string', size: stringSize, name };
    return { kind: 'int', size: 8, signed: false, name };
  }
  switch (b.kind) {
    case 'void':
      throw new CheckError(`type '${name}' has no values`, ["use an integer type such as 'u64'"]);
    case 'basic': {
      const s = SIZED[b.name];
      if (!s) throw new CheckError(`type '${name}' is not supported as a key (floating point)`, ["use an integer type such as 'u64'"]);
      return { kind: 'int', size: s[0], signed: s[1], name };
    }
    case 'typedef': {
      const s = SIZED[b.name];
      if (s) return { kind: 'int', size: s[0], signed: s[1], name };
      const spec = btf();
      for (const id of spec.idsByName(b.name, 'typedef')) {
        const v = fromBtf(spec, spec.get(id), name);
        if (v) return v;
      }
      throw new CheckError(`unknown type '${name}': not an integer type in the kernel's BTF`, ["use 'u8'…'u64', 's8'…'s64', 'int', 'size_t' or 'char*'"]);
    }
    case 'enum': {
      const spec = btf();
      const e = spec.byName(b.name, 'enum')[0];
      if (!e) throw new CheckError(`unknown type '${name}': no such enum in the kernel's BTF`);
      return fromBtf(spec, e, name)!;
    }
    case 'struct':
    case 'union':
      throw new CheckError(`type '${name}' cannot be counted: only integers and char* strings can`, ['count one of its members instead']);
    default:
      return assertNever(b, 'base type');
  }
}

/** An expression as BCC displays it: the text as written, with `$entry(x)` shown as `x`. */
export function displayExpr(e: Expr, source: string): string {
  return source.slice(e.span.start, e.span.end).trim().replace(/\$entry\(\s*([A-Za-z_]\w*)\s*\)/g, '$1');
}

function usesEntry(e: Expr | undefined): boolean {
  let found = false;
  if (e) walk(e, (x) => {
    if (x.kind === 'entry' || x.kind === 'latency') found = true;
  });
  return found;
}

export function plan(o: Pick<ArgdistOptions, 'counts' | 'histograms' | 'stringSize'>, btf: () => BtfSpec = loadKernelBtf): ArgdistPlan {
  const specs: Array<[ArgdistKind, string]> = [...o.counts.map((s) => ['C', s] as [ArgdistKind, string]), ...o.histograms.map((s) => ['H', s] as [ArgdistKind, string])];
  if (specs.length === 0) throw new TracerError('at least one specifier is required', ["e.g. argdist -C 'p:c:malloc(size_t size):size_t:size'"]);
  const probes = specs.map(([kind, text], index): ProbePlan => {
    const ast = parseArgdistSpec(text, kind);
    const types = ast.types.map((t) => valueType(t, text, o.stringSize, btf));
    const display = ast.defaultExpr ? [ast.ref.type === 'r' ? 'retval' : 'total calls'] : ast.exprs.map((e) => displayExpr(e, text));
    const needsEntry = ast.exprs.some(usesEntry) || usesEntry(ast.filter);
    if (needsEntry && ast.ref.type !== 'r') {
      throw new CheckError(`error parsing probe '${text}': $entry and $latency are only valid in return probes ('r:…')`);
    }
    return {
      index, kind: kind === 'C' ? 'freq' : 'hist', ast, text,
      title: kind === 'C' ? argdistFreqTitle(text) : argdistHistLabel(text, ast.defaultExpr ? undefined : display[0]),
      display, types, layout: keyLayout(types), needsEntry,
    };
  });
  return { probes };
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/** Where one specifier attaches: one or more groups (USDT sites with different argument specs). */
export function resolveProbe(p: ProbePlan, pid: number | undefined): ProbeTarget[] {
  const ref = p.ast.ref;
  const fn = ref.function;
  const o = { regex: false, pid, tracefs: requireTracefs };
  switch (ref.type) {
    case 't': {
      const t = resolveTracepointPattern(`${ref.category}:${fn}`, o).filter((x) => x.kind === 'tracepoint' && x.category === ref.category && x.event === fn);
      if (t.length === 0) throw new ResolveError(`tracepoint ${ref.category}:${fn} does not exist`, [`list them with 'polytrace list t:${ref.category}:*'`]);
      return t.slice(0, 1);
    }
    case 'u': {
      const all = resolveUsdtPattern(ref.library, fn, o).filter((x) => x.kind === 'usdt' && x.probe === fn);
      if (all.length === 0) throw new ResolveError(`unrecognized USDT probe ${fn} in ${ref.library}`, [`list them with 'polytrace list u:${ref.library}:*'`]);
      return splitUsdt(all);
    }
    case 'p':
    case 'r': {
      if (ref.library === '') return resolveKernelPattern(fn, { regex: false, tracefs: requireTracefs }).slice(0, 1);
      const t = resolveUprobePattern(ref.library, fn, o).filter((x) => x.kind === 'uprobe' && x.symbol === fn);
      if (t.length === 0) throw new ResolveError(`can't find symbol ${fn} in ${ref.library}`);
      return t.slice(0, 1);
    }
    default:
      return assertNever(ref.type, 'probe type');
  }
}

type SiteKind = ArgdistSite['kind'];

function siteKind(ret: boolean, hook: ProgramShape['hook'] | undefined, target: ProbeTarget): SiteKind {
  switch (target.kind) {
    case 'usdt':
      return 'usdt';
    case 'tracepoint':
      return 'tracepoint';
    case 'uprobe':
      return ret ? 'uretprobe' : 'uprobe';
    case 'kfunc':
      if (hook === 'fentry') return ret ? 'fexit' : 'fentry';
      return ret ? 'kretprobe' : 'kprobe';
    default:
      return assertNever(target, 'target');
  }
}

/** The compiler's view of one target: tracepoint fields, USDT argument locations. */
export function siteOf(kind: SiteKind, target: ProbeTarget): ArgdistSite {
  switch (kind) {
    case 'tracepoint': {
      if (target.kind !== 'tracepoint') throw new TracerError('internal: tracepoint site without a tracepoint');
      const fmt = readTracepointFormat(requireTracefs(), target.category, target.event);
      return { kind, category: target.category, event: target.event, fields: fmt.fields };
    }
    case 'usdt': {
      if (target.kind !== 'usdt') throw new TracerError('internal: USDT site without a USDT probe');
      const first = target.sites[0]!;
      const probe = usdtProbes(ElfFile.open(target.path)).find((p) => p.name === target.probe && p.provider === target.provider);
      const site = probe?.sites.find((s) => s.fileOffset === first.offset);
      if (site?.error) throw site.error;
      return { kind, args: site?.args ?? [] };
    }
    case 'fentry':
    case 'fexit':
      return { kind, symbol: target.kind === 'kfunc' ? target.symbol : '' };
    default:
      return { kind, ...(target.kind === 'uprobe' || target.kind === 'kfunc' ? { symbol: target.symbol } : {}) };
  }
}

/** USDT sites grouped by argument locations: one program per group. */
function splitUsdt(targets: readonly ProbeTarget[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const t of targets) {
    if (t.kind !== 'usdt') {
      out.push(t);
      continue;
    }
    const probe = usdtProbes(ElfFile.open(t.path)).find((p) => p.name === t.probe && p.provider === t.provider);
    const bySpec = new Map<string, Array<(typeof t.sites)[number]>>();
    t.sites.forEach((s) => {
      const spec = probe?.sites.find((x) => x.fileOffset === s.offset)?.argSpec ?? '';
      bySpec.set(spec, [...(bySpec.get(spec) ?? []), s]);
    });
    for (const sites of bySpec.values()) out.push({ ...t, sites });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading and rendering
// ---------------------------------------------------------------------------------------------

export interface FreqEntry {
  readonly values: readonly KeyValue[];
  readonly count: bigint;
}

/** Decoded frequency entries, merged by their displayed key. */
export function decodeFreq(p: ProbePlan, entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): FreqEntry[] {
  const by = new Map<string, { values: KeyValue[]; count: bigint }>();
  for (const [k, v] of entries) {
    const values = p.layout.fields.map((f) => decodeField(k, f));
    const count = new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
    const id = JSON.stringify(values, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
    const have = by.get(id);
    if (have) have.count += count;
    else by.set(id, { values, count });
  }
  return [...by.values()].filter((e) => e.count > 0n);
}

export function freqRows(p: ProbePlan, entries: readonly FreqEntry[]): ArgdistFreqRow[] {
  return entries.map((e) => {
    if (p.ast.defaultExpr) {
      return { count: e.count, key: p.ast.ref.type === 'r' ? `retval = ${String(e.values[0])}` : 'total calls' };
    }
    return { count: e.count, key: argdistKey(p.display.map((d, i) => [d, String(e.values[i])] as const)) };
  });
}

/** The 65 slots of a histogram probe, from its one-element array's value (u64 slots[65]). */
export function histSlots(value: Uint8Array | undefined): bigint[] {
  const slots = new Array<bigint>(HIST_SLOTS).fill(0n);
  if (!value) return slots;
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  for (let i = 0; i < HIST_SLOTS && 8 * i + 8 <= value.byteLength; i++) slots[i] = dv.getBigUint64(8 * i, true);
  return slots;
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

function jsonValue(v: KeyValue): JsonValue {
  return v;
}

export function jsonInterval(time: Date, probes: readonly IntervalProbe[], top: number | undefined, dropped: readonly bigint[], readErrors = 0n): string {
  const docs: JsonValue[] = probes.map((x) => {
    const base = { spec: x.plan.text, ...(x.plan.ast.label !== undefined ? { label: x.plan.ast.label } : {}) };
    if (x.kind === 'hist') {
      return { ...base, type: 'histogram', label: x.plan.title, buckets: log2Buckets(x.slots).map((b) => ({ lo: b.lo, hi: b.hi, count: b.count })) };
    }
    let rows = [...x.entries].sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
    if (top !== undefined && top > 0) rows = rows.slice(Math.max(0, rows.length - top));
    return {
      ...base, type: 'counts', dropped: dropped[x.plan.index] ?? 0n,
      counts: rows.map((e) => ({
        key: x.plan.ast.defaultExpr && x.plan.ast.ref.type !== 'r'
          ? {}
          : Object.fromEntries(x.plan.display.map((d, i) => [d, jsonValue(e.values[i]!)])),
        count: e.count,
      })),
    };
  });
  return jsonLine({ tool: 'argdist', time: time.toISOString(), read_errors: readErrors, probes: docs });
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  if (o.pid !== undefined && !existsSync(`/proc/${o.pid}`)) throw new ResolveError(`no process with PID ${o.pid}`);
  const p = plan(o);
  if (o.dump.includes('ast')) await out(`${JSON.stringify(p.probes.map((x) => x.ast), (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  for (const h of o.includes) {
    process.stderr.write(`${prog}: note: -I ${h} is not needed: kernel types come from BTF (user-space structs are not supported)\n`);
  }
  const targets = p.probes.map((x) => resolveProbe(x, o.pid));
  if (o.dump.includes('resolved')) await dumpJson(targets);
  // Type-check everything before anything is loaded, so a mistake in the last specifier
  // does not leave the first ones attached.
  // Every specifier is checked, and every fault reported in one run, with a caret.
  const errors: TracerError[] = [];
  for (const x of p.probes) {
    try {
      for (const t of targets[x.index]!) compileFor(x, siteOf(siteKind(x.ast.ref.type === 'r', undefined, t), t), o.stringSize);
    } catch (e) {
      const found = withSource(e, x.text);
      if (found.length === 0) throw e;
      errors.push(...found);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new DiagnosticsError(errors);

  await runWithSession(o.pid, (session) => trace(o, p, targets, session));
}

function compileFor(p: ProbePlan, site: ArgdistSite, stringSize: number): CompiledArgdist {
  const kernelFn = site.kind === 'kprobe' || site.kind === 'kretprobe' || site.kind === 'fentry' || site.kind === 'fexit';
  const btf = site.kind === 'uprobe' || site.kind === 'uretprobe' || site.kind === 'usdt' ? undefined
    : btfForKernelFunction(kernelFn ? site.symbol : undefined);
  return compileArgdist({ ast: p.ast, types: p.types, site, stringSize, prefix: `ad${p.index}`, ...(btf ? { btf } : {}) });
}

/**
 * Entries of each frequency hash. Test hook: POLYTRACE_TEST_MAP_ENTRIES=N makes the maps of
 * keys N entries (argdist's frequency hashes, stackcount's counts and stacks), so a test can
 * fill them.
 */
export function freqEntries(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['POLYTRACE_TEST_MAP_ENTRIES'] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : FREQ_ENTRIES;
}

/** The two hashes of a frequency probe (double-buffered: see compile/tools/argdist.ts). */
function freqPair(probe: ProbePlan): readonly [MapSpec, MapSpec] {
  return [freqMapSpec(probe.index, probe.layout.size, freqEntries(), 0), freqMapSpec(probe.index, probe.layout.size, freqEntries(), 1)];
}

function attachAll(o: ArgdistOptions, p: ArgdistPlan, targets: readonly ProbeTarget[][], session: TraceSession, specs: ProgramSpec[]): void {
  const dropped = droppedMapSpec(p.probes.length);
  for (const probe of p.probes) {
    const ret = probe.ast.ref.type === 'r';
    targets[probe.index]!.forEach((target, g) => {
      const prefix = `argdist${probe.index}${g ? `_${g}` : ''}`;
      const common = { pid: o.pid, verbose: o.verbose, onProgram: (s: ProgramSpec) => specs.push(s) };
      const filters = (shape: ProgramShape) => ({
        name: shape.name, progType: shape.progType, expectedAttachType: shape.expectedAttachType,
        // Uprobes are filtered by process at attach time; the other hooks see every process.
        tgid: shape.hook === 'uprobe' ? undefined : o.pid, tid: o.tid,
      });
      const compiledFor = (shape: ProgramShape): CompiledArgdist => compileFor(probe, siteOf(siteKind(ret, shape.hook, target), target), o.stringSize);
      // The return program first: an entry stash without its reader would only go stale.
      attachTargets(session, [target], {
        ...common, ret, prefix,
        build: (shape) => {
          const c = compiledFor(shape);
          return probe.kind === 'freq'
            ? argdistProgram({ ...filters(shape), kind: 'freq', index: probe.index, layout: probe.layout, freq: freqPair(probe), active: activeMapSpec(), dropped, lower: c.lower })
            : argdistProgram({ ...filters(shape), kind: 'hist', index: probe.index, type: probe.types[0]!, hist: histMapSpec(probe.index), lower: c.lower });
        },
      });
      if (probe.needsEntry) {
        attachTargets(session, [target], {
          ...common, ret: false, prefix: `${prefix}e`,
          build: (shape) => {
            const c = compileFor(probe, siteOf(siteKind(true, shape.hook, target), target), o.stringSize);
            if (!c.stash) throw new TracerError(`internal: probe ${probe.index} needs an entry program but has no stash`);
            return argdistEntryProgram({ ...filters(shape), stash: c.stash });
          },
        });
      }
    });
  }
}

async function trace(o: ArgdistOptions, p: ArgdistPlan, targets: readonly ProbeTarget[][], session: TraceSession): Promise<void> {
  const specs: ProgramSpec[] = [];
  attachAll(o, p, targets, session, specs);
  if (o.verbose || o.dump.includes('asm') || o.dump.includes('ir')) {
    for (const s of specs) await out(`; program ${s.name}\n${disasm(s.insns)}\n`);
  }
  const maps = p.probes.map((x) => session.maps.get(x.kind === 'freq' ? freqMapSpec(x.index, 1).name : histMapSpec(x.index).name)!);
  const halves = p.probes.map((x) => (x.kind === 'freq' ? session.maps.get(freqMapSpec(x.index, 1, 1, 1).name) : undefined));
  const droppedMap = session.maps.get(droppedMapSpec(p.probes.length).name);
  const activeMap = session.maps.get(activeMapSpec().name);
  const barrier = activeMap ? session.own(new ProgramBarrier()) : undefined;
  let active = 0;
  const zero = new Uint8Array(4);
  /**
   * The frequency counts of the interval, exactly: flip ad_active to the other hash, wait for
   * the programs that may still count in this one (an RCU grace period: kernel/barrier.ts),
   * then read and clear it. Nothing writes it any more, so no increment falls between the
   * read and the delete.
   */
  const takeFreq = (): void => {
    if (!activeMap || !barrier) return;
    const next = new Uint8Array(4);
    new DataView(next.buffer).setUint32(0, active ^ 1, true);
    activeMap.update(zero, next);
    barrier.wait();
    active ^= 1;
  };
  const idleHash = (i: number): BpfMap => (active === 1 ? maps[i]! : halves[i]!);
  /** -c: the counts so far, by displayed key. */
  const cumulative = p.probes.map(() => new Map<string, { values: readonly KeyValue[]; count: bigint }>());
  const prevSlots = p.probes.map(() => new Array<bigint>(HIST_SLOTS).fill(0n));
  const prevDropped = p.probes.map(() => 0n);
  /** Updates a full hash refused since the last report, per probe; said on stderr. */
  const reportDropped = (): bigint[] => {
    const dropped = p.probes.map((x, i) => {
      if (!droppedMap || x.kind !== 'freq') return 0n;
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const v = droppedMap.lookup(key);
      const total = v ? droppedMap.sumU64(v) : 0n;
      const d = total - prevDropped[i]!;
      prevDropped[i] = total;
      return d;
    });
    for (const x of p.probes) {
      const d = dropped[x.index]!;
      if (d > 0n) process.stderr.write(`argdist: ${d} events not counted for '${x.text}': its map is full (${freqEntries()} keys)\n`);
    }
    return dropped;
  };
  // Failed reads of memory by the expressions (the compiler's per-CPU read_errors counter).
  const readErrorsMap = session.maps.get(READ_ERRORS_MAP.name);
  let prevReadErrors = 0n;
  const reportReadErrors = (): bigint => {
    const v = readErrorsMap?.lookup(new Uint8Array(4));
    const total = v ? readErrorsMap!.sumU64(v) : 0n;
    const d = total - prevReadErrors;
    prevReadErrors = total;
    if (d > 0n) process.stderr.write(`${d} reads of user memory failed\n`);
    return d;
  };
  // --prometheus: running totals whatever -c says (counters only grow), updated each interval.
  const promCounts = p.probes.map(() => new Map<string, bigint>());
  const promSlots = p.probes.map(() => new Array<bigint>(HIST_SLOTS).fill(0n));
  const exporter = o.prometheus ? await serveArgdist(o.prometheus, p, promCounts, promSlots) : undefined;
  let printed = 0;
  let elapsed = 0;
  for (;;) {
    const r = await sleepOrStop(o.interval * 1000);
    // Interrupted during the sleep: BCC's argdist exits quietly, without a last interval, but
    // what a full map refused since the last one is still said. When the -p process exited,
    // its last (partial) interval is printed: nothing more will come.
    if (r === 'signal' || r === 'epipe') {
      if (r !== 'epipe') {
        reportDropped();
        reportReadErrors();
      }
      break;
    }
    elapsed += o.interval;
    const now = new Date();
    takeFreq();
    const probes: IntervalProbe[] = p.probes.map((x, i) => {
      const m = maps[i]!;
      if (x.kind === 'freq') {
        const entries = decodeFreq(x, idleHash(i).drain());
        if (exporter) {
          for (const row of freqRows(x, entries)) promCounts[i]!.set(row.key, (promCounts[i]!.get(row.key) ?? 0n) + row.count);
        }
        if (!o.cumulative) return { plan: x, kind: 'freq', entries };
        const acc = cumulative[i]!;
        for (const e of entries) {
          const id = JSON.stringify(e.values, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
          const have = acc.get(id);
          if (have) have.count += e.count;
          else acc.set(id, { values: e.values, count: e.count });
        }
        return { plan: x, kind: 'freq', entries: [...acc.values()].map((e) => ({ values: e.values, count: e.count })) };
      }
      // The slots only grow (atomic adds): this interval is the difference from the last read.
      const total = histSlots(m.lookup(zero));
      promSlots[i] = total;
      const slots = o.cumulative ? total : total.map((v, k) => v - prevSlots[i]![k]!);
      prevSlots[i] = total;
      return { plan: x, kind: 'hist', slots };
    });
    const dropped = reportDropped();
    const readErrors = reportReadErrors();
    if (stopped() === 'epipe') break;
    await out(o.json ? jsonInterval(now, probes, o.top, dropped, readErrors) : renderInterval(now, probes, o.top));
    printed++;
    if (r === 'exited') break;
    if (o.count !== undefined && printed >= o.count) break;
    if (o.duration !== undefined && elapsed >= o.duration) break;
  }
  await exporter?.close();
}

/**
 * `--prometheus`: every -C probe as a counter series per key (`argdist_events_total{probe,key}`),
 * every -H probe as a log2 histogram (`argdist_value{probe}`; argdist does not keep the sum of
 * the values, so _sum is NaN).
 */
async function serveArgdist(addr: ListenAddress, p: ArgdistPlan, counts: readonly Map<string, bigint>[], slots: readonly bigint[][]) {
  const { PrometheusExporter } = await import('../output/prometheus.js');
  const ex = new PrometheusExporter();
  ex.counter('argdist_events_total', 'Events counted by argdist -C, by probe and key', ['probe', 'key'], () =>
    p.probes.flatMap((x, i) => x.kind !== 'freq' ? [] : [...counts[i]!].map(([key, value]) => ({ labels: { probe: x.title, key }, value }))));
  ex.log2Histogram('argdist_value', 'Values histogrammed by argdist -H (log2 buckets)', ['probe'], () =>
    p.probes.flatMap((x, i) => x.kind !== 'hist' ? [] : [{ labels: { probe: x.title }, slots: slots[i]!, sum: NaN }]));
  const where = await ex.listen(addr);
  process.stderr.write(`Serving Prometheus metrics at http://${where}/metrics\n`);
  return ex;
}
