/**
 * trace: print one line per event at probes, as BCC's trace does, with its options
 * (-b -p -L --uid -v -Z -S -M -t -u -T -C -c -n -f -B -s -K -U -a -I -A), its header and
 * columns, and `--json` (one object per event).
 *
 * Events travel through one BPF ring buffer shared by every probe (perf buffers where the
 * kernel has no ring buffer, or with POLYTRACE_DISABLE=ringbuf); they are read in place, a
 * batch at a time, and written to stdout with back-pressure: when stdout is slower than the
 * events, the ring fills and the kernel counts what it drops, which is reported on stderr as
 * `N events lost` every second and at exit. Printed + reported lost = produced.
 */
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { toolCommand, intArg, parseDump } from './options.js';
import { runWithSession, dumpJson, raceStop, out, stopped } from './lifecycle.js';
import { CheckError, DiagnosticsError, ResolveError, SpecSyntaxError, SysError, TracerError, UsageError } from '../errors.js';
import { parseTraceProbes } from '../specs/parse.js';
import type { Expr, TraceProbeAst, FormatPiece } from '../specs/ast.js';
import { walk } from '../specs/walk.js';
import { resolveKernelPattern } from '../probes/kernel.js';
import type { ProbeTarget } from '../probes/targets.js';
import { resolveLibrary, resolveUsdtBinary } from '../symbols/library.js';
import { ElfFile } from '../symbols/elf.js';
import { usdtProbes, findUsdtProbes } from '../symbols/usdt/probes.js';
import type { UsdtArg } from '../symbols/usdt/types.js';
import { readTracepointFormat } from '../symbols/tracefs.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { attachTargets, type ProgramShape } from '../attach/targets.js';
import { TraceSession } from '../session.js';
import { disasm } from '../emit/disasm.js';
import type { ProgramBuilder } from '../emit/builder.js';
import type { ProgramSpec } from '../emit/types.js';
import { haveRingbuf } from '../features/probes.js';
import { RingBuffer, ringBytes, ringbufMapSpec } from '../events/ringbuf.js';
import { PerfBuffer, perfEventArraySpec } from '../events/perfbuf.js';
import type { EventReader } from '../events/types.js';
import {
  argKinds, recordLayout, traceMaps, traceProgram, messageRenderer, readHeader, recordStacks, decodeRecord, TaskCache,
  parseUserHeader, DEFAULT_STRING_SIZE, type RecordLayout, type TraceLowering, type AddressNames,
} from '../compile/tools/trace.js';
import { probeContext, type ProbeContext, type ProbeSite } from '../compile/context.js';
import { userTypes, BUILTIN_USER_TYPES, type UserTypes } from '../compile/usertypes.js';
import { checkExpr, requirePointerOrString, requireScalar, ExprCheckError, type TypedExpr } from '../compile/check.js';
import { Lowerer } from '../compile/lower.js';
import { btfForKernelFunction } from '../kernel/btf.js';
import type { BtfSpec } from '../btf/index.js';
import { renderTraceHeader, renderTraceEvent, renderTraceAggregate, traceTimeOffset, type TraceStack } from '../output/trace.js';
import { strftimeHMS } from '../output/time.js';
import { ljust } from '../output/pyfmt.js';
import { jsonLine, type JsonValue } from '../output/json.js';
import { Symbolizer } from '../output/symbolize.js';
import { BpfMap } from '../kernel/map.js';
import { READ_ERRORS_MAP } from '../compile/lower.js';

export interface TraceOptions {
  readonly probes: readonly string[];
  readonly bufferPages?: number;
  readonly pid?: number;
  readonly tid?: number;
  readonly uid?: number;
  readonly verbose: boolean;
  readonly stringSize: number;
  readonly includeSelf: boolean;
  readonly maxEvents?: number;
  readonly timestamp: boolean;
  readonly unixTimestamp: boolean;
  readonly time: boolean;
  readonly printCpu: boolean;
  readonly cgroupPath?: string;
  readonly name?: string;
  readonly msgFilter?: string;
  readonly binCmp: boolean;
  readonly symFiles: readonly string[];
  readonly kernelStack: boolean;
  readonly userStack: boolean;
  readonly address: boolean;
  readonly includes: readonly string[];
  readonly aggregate: boolean;
  readonly json: boolean;
  readonly dump: readonly string[];
}

const EPILOG = `examples:

trace do_sys_open
        Trace the open syscall and print a default trace message when entered
trace kfree_skb+0x12
        Trace the kfree_skb kernel function after the instruction on the 0x12 offset
trace 'do_sys_open "%s", arg2@user'
        Trace the open syscall and print the filename being opened; @user marks arg2 as a
        user-space pointer
trace 'do_sys_open "%s", arg2@user' -n main
        Trace the open syscall and only print event that process names containing "main"
trace 'do_sys_open "%s", arg2@user' --uid 1001
        Trace the open syscall and only print event that processes with user ID 1001
trace 'do_sys_open "%s", arg2@user' -f config
        Trace the open syscall and print the filename being opened filtered by "config"
trace 'sys_read (arg3 > 20000) "read %d bytes", arg3'
        Trace the read syscall and print a message for reads >20000 bytes
trace 'r::do_sys_open "%llx", retval'
        Trace the return from the open syscall and print the return value
trace 'c:open (arg2 == 42) "%s %d", arg1, arg2'
        Trace the open() call from libc only if the flags (arg2) argument is 42
trace 'c:malloc "size = %d", arg1'
        Trace malloc calls and print the size being allocated
trace 'p:c:write (arg1 == 1) "writing %d bytes to STDOUT", arg3'
        Trace the write() call from libc to monitor writes to STDOUT
trace 'r::__kmalloc (retval == 0) "kmalloc failed!"'
        Trace returns from __kmalloc which returned a null pointer
trace 'r:c:malloc (retval) "allocated = %x", retval'
        Trace returns from malloc and print non-NULL allocated buffers
trace 't:block:block_rq_complete "sectors=%d", args->nr_sector'
        Trace the block_rq_complete kernel tracepoint and print # of tx sectors
trace 't:syscalls:sys_enter_openat "%s", args->filename'
        Trace openat and print the file names (user pointers are read as user memory)
trace 'u:pthread:pthread_create (arg4 != 0)'
        Trace the USDT probe pthread_create when its 4th argument is non-zero
trace 'u:pthread:libpthread:pthread_create (arg4 != 0)'
        Ditto, but the provider name "libpthread" is specified.
trace 'u:/usr/bin/python3.11:function__entry "%s:%s", arg1, arg2'
        Trace Python function calls (file and function names); the probe's semaphore is
        enabled by the kernel, so no -p is needed
trace 'p::SyS_nanosleep(struct timespec *ts) "sleep for %lld ns", ts->tv_nsec'
        Trace the nanosleep syscall and print the sleep duration in ns
trace 'p:c:nanosleep(struct timespec *req) "%d sec %d nsec", req->tv_sec, req->tv_nsec'
        User-space structs: timespec, timeval, sockaddr and friends are built in; -I adds more
trace -c /sys/fs/cgroup/system.slice/workload.service '__x64_sys_nanosleep' '__x64_sys_clone'
        Trace nanosleep/clone syscall calls only under workload.service
        cgroup hierarchy.
trace -I 'linux/fs_struct.h' 'mntns_install "users = %d", $task->fs->users'
        Trace the number of users accessing the file system of the current task
        (kernel types come from BTF: -I is accepted and rarely needed)
trace -M 10 --json 't:sched:sched_process_exec "%s", args->filename'
        Print the first 10 exec events as JSON lines`;

function powerOfTwo(value: string): number {
  const n = intArg('BUFFER_PAGES', { min: 1 })(value);
  if ((n & (n - 1)) !== 0) throw new InvalidArgumentError(`Perf buffer page_cnt must be a power of two, got ${n}`);
  return n;
}

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

export function parseOptions(argv: readonly string[], prog: string): TraceOptions {
  const cmd = toolCommand(prog, 'Attach to functions and print trace messages.', EPILOG)
    .argument('<probe...>', 'probe specifier (see examples)')
    .option('-b, --buffer-pages <BUFFER_PAGES>', 'number of pages per CPU for the event buffer (a power of two; default: at least 4 MiB in all)', powerOfTwo)
    .option('-p, --pid <PID>', 'id of the process to trace (optional)', intArg('PID', { min: 1 }))
    .option('-L, --tid <TID>', 'id of the thread to trace (optional)', intArg('TID', { min: 1 }))
    .option('--uid <UID>', 'id of the user to trace (optional)', intArg('UID', { min: 0 }))
    .option('-v, --verbose', 'print the BPF programs before starting', false)
    .option('-Z, --string-size <STRING_SIZE>', 'maximum size to read from strings', intArg('STRING_SIZE', { min: 1 }), DEFAULT_STRING_SIZE)
    .option('-S, --include-self', 'do not filter trace\'s own pid from the trace', false)
    .option('-M, --max-events <MAX_EVENTS>', 'number of events to print before quitting', intArg('MAX_EVENTS', { min: 1 }))
    .option('-t, --timestamp', 'print timestamp column (offset from trace start)', false)
    .option('-u, --unix-timestamp', 'print UNIX timestamp instead of offset from trace start, requires -t', false)
    .option('-T, --time', 'print time column', false)
    .option('-C, --print_cpu', 'print CPU id', false)
    .option('-c, --cgroup-path <CGROUP_PATH>', 'cgroup path')
    .option('-n, --name <NAME>', 'only print process names containing this name')
    .option('-f, --msg-filter <MSG_FILTER>', 'only print the msg of event containing this string')
    .option('-B, --bin_cmp', 'allow to use STRCMP with binary values', false)
    .option('-s, --sym_file_list <SYM_FILE_LIST>', 'comma separated list of symbol files to use for symbol resolution')
    .option('-K, --kernel-stack', 'output kernel stack trace', false)
    .option('-U, --user-stack', 'output user stack trace', false)
    .option('-a, --address', 'print virtual address in stacks', false)
    .option('-I, --include <header>', 'header declaring user-space structs (kernel types come from BTF)', collect, [])
    .option('-A, --aggregate', 'aggregate amount of each trace', false)
    .option('--json', 'print one JSON object per event', false)
    .option('--dump <STAGES>', 'print intermediate stages: ast,resolved,ir,asm', parseDump, []);
  cmd.parse([...argv], { from: 'user' });
  const o = cmd.opts();
  if (o.pid !== undefined && o.tid !== undefined) throw new UsageError('only one of -p and -L may be specified', [`see '${prog} -h'`]);
  return {
    probes: cmd.args, bufferPages: o.bufferPages, pid: o.pid, tid: o.tid, uid: o.uid, verbose: o.verbose,
    stringSize: o.stringSize, includeSelf: o.includeSelf, maxEvents: o.maxEvents, timestamp: o.timestamp,
    unixTimestamp: o.unixTimestamp, time: o.time, printCpu: o.print_cpu, cgroupPath: o.cgroupPath, name: o.name,
    msgFilter: o.msgFilter, binCmp: o.bin_cmp, symFiles: o.sym_file_list ? String(o.sym_file_list).split(',').filter(Boolean) : [],
    kernelStack: o.kernelStack, userStack: o.userStack, address: o.address, includes: o.include, aggregate: o.aggregate,
    json: o.json, dump: o.dump,
  };
}

// ---------------------------------------------------------------------------------------------
// Planning: probes → programs
// ---------------------------------------------------------------------------------------------

/** One program to load: a probe, or one argument layout of a USDT probe. */
export interface TraceUnit {
  readonly index: number;
  readonly probe: TraceProbeAst;
  /** The FUNC column. */
  readonly func: string;
  readonly target: ProbeTarget;
  readonly ret: boolean;
  readonly ctx: ProbeContext;
  readonly predicate?: TypedExpr;
  readonly args: readonly TypedExpr[];
  readonly pieces: readonly FormatPiece[];
  readonly layout: RecordLayout;
}

/** BCC's FUNC column: the function (p/r), the event (t), the USDT name as written (u). */
export function funcColumn(p: TraceProbeAst): string {
  const r = p.ref;
  if (r.type === 'u' && r.provider) return `${r.provider}:${r.function}`;
  return r.function;
}

/** Errors about one probe say which, as BCC does (`error in probe '…': …`). */
function spanned<T>(p: TraceProbeAst, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ExprCheckError) throw new SpecSyntaxError(e.message, p.text, e.span, e.hints);
    if (e instanceof TracerError && !(e instanceof SpecSyntaxError) && !(e instanceof UsageError) && !e.message.startsWith('error in probe')) {
      e.message = `error in probe '${p.text}': ${e.message}`;
    }
    throw e;
  }
}

/** `-B`: STRCMP's literal is a C brace initializer of bytes (`"{0x6C, 0x00}"`). */
export function binaryStrcmp(e: Expr): void {
  walk(e, (n) => {
    if (n.kind !== 'strcmp') return;
    const m = /^\s*\{(.*)\}\s*$/s.exec(n.literal.value);
    if (!m) return;
    const bytes = m[1].split(',').map((x) => x.trim()).filter(Boolean).map((x) => Number(x) & 0xff);
    // BCC compares sizeof(needle) - 1 bytes: the last byte of a binary needle is not compared.
    const kept = bytes.slice(0, Math.max(0, bytes.length - 1));
    Object.assign(n.literal, { value: String.fromCharCode(...kept), bytes: kept });
  });
}

interface Resolved {
  readonly target: ProbeTarget;
  readonly site: ProbeSite;
}

function resolveProbe(p: TraceProbeAst, o: TraceOptions): Resolved[] {
  const r = p.ref;
  switch (r.type) {
    case 't': {
      const root = requireTracefs();
      const category = r.category ?? '';
      let fields;
      try {
        fields = readTracepointFormat(root, category, r.function).fields;
      } catch {
        throw new ResolveError(`tracepoint ${category}:${r.function} does not exist`, [`list them with 'polytrace list t:${category}:*'`]);
      }
      return [{
        target: { kind: 'tracepoint', category, event: r.function, name: `${category}:${r.function}` },
        site: { kind: 'tracepoint', category, event: r.function, fields },
      }];
    }
    case 'u': {
      const bin = resolveUsdtBinary(r.library, o.pid);
      const elf = ElfFile.open(bin.path);
      const name = r.provider ? `${r.provider}:${r.function}` : r.function;
      const found = findUsdtProbes(usdtProbes(elf), name);
      if (found.length === 0) throw new ResolveError(`unrecognized USDT probe ${name}`);
      // One program per distinct argument layout (libbpf dedups the same way).
      const groups = new Map<string, { provider: string; probe: string; args: readonly UsdtArg[]; sites: { offset: bigint; semaphoreOffset?: bigint }[] }>();
      for (const probe of found) {
        for (const s of probe.sites) {
          if (s.error) throw s.error;
          const key = JSON.stringify(s.args, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { provider: probe.provider, probe: probe.name, args: s.args, sites: [] }));
          g.sites.push({ offset: s.fileOffset, ...(s.semaphoreFileOffset ? { semaphoreOffset: s.semaphoreFileOffset } : {}) });
        }
      }
      return [...groups.values()].map((g) => ({
        target: { kind: 'usdt', path: bin.path, provider: g.provider, probe: g.probe, name: funcColumn(p), sites: g.sites },
        site: { kind: 'usdt', args: g.args },
      }));
    }
    case 'p':
    case 'r': {
      const ret = r.type === 'r';
      if (r.library === '') {
        const targets = resolveKernelPattern(r.function, { regex: false, tracefs: requireTracefs });
        if (targets.length === 0) throw new ResolveError(`cannot attach to kernel function ${r.function}: it is not traceable`);
        if (r.offset) throw new TracerError(`kernel function offsets (+${r.offset}) are not supported`);
        return targets.map((t) => ({ target: t, site: { kind: ret ? 'kretprobe' : 'kprobe', symbol: r.function } }));
      }
      const lib = resolveLibrary(r.library, { pid: o.pid });
      const elf = ElfFile.open(lib.path);
      const sym = elf.lookupFunction(r.function);
      const base = sym ? elf.vaddrToFileOffset(sym.value) : undefined;
      if (!sym || base === undefined) throw new ResolveError(`could not determine address of symbol ${r.function} in ${lib.path}`);
      if (ret && r.offset) throw new TracerError('offsets are only supported for entry probes (p)');
      const offset = base + BigInt(r.offset ?? 0);
      return [{
        target: { kind: 'uprobe', path: lib.path, symbol: r.function, offset, vaddr: sym.value + BigInt(r.offset ?? 0), name: r.function },
        site: { kind: ret ? 'uretprobe' : 'uprobe', symbol: r.function },
      }];
    }
  }
}

/** Kernel BTF for a probe (a module function's own when vmlinux lacks it); undefined without BTF. */
function btf(kernelFunction?: string): BtfSpec | undefined {
  try {
    return btfForKernelFunction(kernelFunction);
  } catch {
    return undefined;
  }
}

/** Does the probe need kernel BTF (a kernel struct in a signature or cast, a member of one, `$task`)? */
function needsBtf(p: TraceProbeAst): boolean {
  const named = (t: { base: { kind: string; known?: boolean } }) =>
    t.base.kind === 'struct' || t.base.kind === 'union' || t.base.kind === 'enum' || (t.base.kind === 'typedef' && !t.base.known);
  if (p.signature?.some((s) => named(s.type))) return true;
  let need = false;
  for (const e of [...(p.predicate ? [p.predicate] : []), ...p.args]) {
    walk(e, (n) => {
      if ((n.kind === 'builtin' && n.name === '$task') || (n.kind === 'cast' && named(n.type))) need = true;
    });
  }
  return need;
}

export function planUnits(o: TraceOptions, probes: readonly TraceProbeAst[], types: UserTypes): TraceUnit[] {
  const units: TraceUnit[] = [];
  // Every fault of every probe is reported in one run: each step's error is kept and the
  // next step, expression or probe is still checked.
  const errors: TracerError[] = [];
  const attempt = <T>(p: TraceProbeAst, f: () => T): T | undefined => {
    try {
      return spanned(p, f);
    } catch (e) {
      if (!(e instanceof TracerError)) throw e;
      errors.push(e);
      return undefined;
    }
  };
  for (const p of probes) {
    const pieces = p.format?.pieces ?? [];
    const kinds = argKinds(pieces);
    const resolved = attempt(p, () => {
      if (kinds.length !== p.args.length) {
        throw new CheckError(`format string expects ${kinds.length} argument${kinds.length === 1 ? '' : 's'}, got ${p.args.length}`);
      }
      if (o.binCmp) {
        if (p.predicate) binaryStrcmp(p.predicate);
        p.args.forEach(binaryStrcmp);
      }
      return resolveProbe(p, o);
    });
    if (!resolved) continue;
    const wantBtf = needsBtf(p);
    for (const r of resolved) {
      const kernelFn = r.site.kind === 'kprobe' || r.site.kind === 'kretprobe';
      const spec = wantBtf || kernelFn ? btf(kernelFn ? r.site.symbol : undefined) : undefined;
      const ctx = probeContext(r.site, {
        ...(p.signature ? { signature: p.signature } : {}),
        ...(spec ? { btf: spec } : {}),
        userTypes: types,
      });
      const before = errors.length;
      const predicate = p.predicate ? attempt(p, () => checkExpr(p.predicate!, ctx)) : undefined;
      const args = p.args.map((e, i) => attempt(p, () => {
        const te = checkExpr(e, ctx);
        if (kinds[i] === 'string') requirePointerOrString(te, `the argument of %s (#${i + 1})`);
        else requireScalar(te, `argument #${i + 1}`);
        return te;
      }));
      // The sites of one USDT probe share its expressions: their errors would repeat.
      if (errors.length > before) break;
      const layout = recordLayout(kinds, { stringSize: o.stringSize, kernelStack: o.kernelStack, userStack: o.userStack });
      units.push({
        index: units.length, probe: p, func: funcColumn(p), target: r.target, ret: p.ref.type === 'r',
        ctx, ...(predicate ? { predicate } : {}), args: args as TypedExpr[], pieces, layout,
      });
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new DiagnosticsError(errors);
  return units;
}

/**
 * The unit's expressions, lowered for the hook the attach layer chose: a kernel function probed
 * through a BPF trampoline sees `u64 args[]` instead of pt_regs, so its expressions are checked
 * again for an fentry/fexit site.
 */
function loweringFor(u: TraceUnit, stringSize: number, hook: ProgramShape['hook']): TraceLowering {
  let typed: { ctx: ProbeContext; predicate?: TypedExpr; args: readonly TypedExpr[] } = u;
  const site = u.ctx.site;
  if (hook === 'fentry' && (site.kind === 'kprobe' || site.kind === 'kretprobe') && site.symbol) {
    const ctx: ProbeContext = { ...u.ctx, site: { kind: site.kind === 'kprobe' ? 'fentry' : 'fexit', symbol: site.symbol } };
    typed = spanned(u.probe, () => ({
      ctx,
      ...(u.probe.predicate ? { predicate: checkExpr(u.probe.predicate, ctx) } : {}),
      args: u.probe.args.map((e) => checkExpr(e, ctx)),
    }));
  }
  let last: { b: ProgramBuilder; l: Lowerer } | undefined;
  const lw = (b: ProgramBuilder): Lowerer => {
    if (last?.b !== b) last = { b, l: new Lowerer(b, typed.ctx, { stringSize }) };
    return last.l;
  };
  const predicate = typed.predicate;
  return {
    ...(predicate ? { predicate: (b: ProgramBuilder, label: string) => lw(b).branchIfFalse(predicate, label) } : {}),
    scalar: (b, i, dst) => lw(b).scalar(typed.args[i], dst),
    string: (b, i, base, off, size) => lw(b).string(typed.args[i], base, off, size),
  };
}

// ---------------------------------------------------------------------------------------------
// -I headers
// ---------------------------------------------------------------------------------------------

function loadHeaders(files: readonly string[]): { types: UserTypes; notes: string[] } {
  if (files.length === 0) return { types: BUILTIN_USER_TYPES, notes: [] };
  let types: UserTypes = BUILTIN_USER_TYPES;
  const notes: string[] = [];
  const records = [];
  for (const f of files) {
    const path = f.startsWith('/') || f.startsWith('.') ? resolvePath(f) : f;
    if (!path.startsWith('/')) {
      // <linux/fs.h> and friends: kernel types come from BTF; nothing to read.
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ResolveError(`cannot read header ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const parsed = parseUserHeader(text, types);
    records.push(...parsed.records);
    types = userTypes(records, parsed.typedefs);
    for (const s of parsed.skipped) notes.push(`${f}: ignored '${s}': only struct declarations are read from -I headers (kernel types come from BTF)`);
  }
  return { types, notes };
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  if (o.aggregate && o.maxEvents === undefined) throw new TracerError('-M/--max-events should be specified with -A/--aggregate');
  if (o.pid !== undefined && !existsSync(`/proc/${o.pid}`)) throw new ResolveError(`no process with PID ${o.pid}`);
  for (const f of o.symFiles) if (!existsSync(f)) throw new ResolveError(`symbol file ${f} does not exist`);
  const probes = parseTraceProbes(o.probes);
  if (o.dump.includes('ast')) await out(`${JSON.stringify(probes, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  const headers = loadHeaders(o.includes);
  for (const n of headers.notes) process.stderr.write(`${prog}: ${n}\n`);
  const units = planUnits(o, probes, headers.types);
  if (o.dump.includes('resolved')) await dumpJson(units.map((u) => ({ probe: u.probe.text, target: u.target, layout: u.layout })));

  // Node writes to a pipe synchronously: a full pipe would block the whole process (no Ctrl-C,
  // no draining of the ring). Asynchronous writes keep the loop turning; out() waits for 'drain'.
  const handle = (process.stdout as unknown as { _handle?: { setBlocking?: (b: boolean) => number } })._handle;
  if (handle?.setBlocking && !process.stdout.isTTY) handle.setBlocking(false);
  await runWithSession(o.pid, (session) => trace(o, units, session, prog));
}

function useRingbuf(): boolean {
  return haveRingbuf.available();
}

/** Sum of a per-CPU u64 slot 0. */
function readLost(map: BpfMap): bigint {
  const v = map.lookup(new Uint8Array(4));
  return v ? map.sumU64(v) : 0n;
}

/**
 * A uprobe at func+N: the kernel decodes the instruction there when a process maps the file and
 * refuses one it cannot decode (ENOEXEC) or single-step (ENOTSUPP), usually because N falls
 * inside an instruction. Say that instead of the bare errno of the attach call.
 */
function refusedOffset(u: TraceUnit, e: unknown): unknown {
  const r = u.probe.ref;
  if (!(e instanceof SysError) || (e.code !== 'ENOTSUPP' && e.code !== 'ENOEXEC') || !r.offset || u.target.kind !== 'uprobe') return e;
  return new TracerError(`the kernel refused to probe ${r.function}+${r.offset} in ${u.target.path} (${e.code}): ` +
    `offset ${r.offset} is not the start of an instruction it can probe`,
  [`pick an instruction boundary from 'objdump -d --disassemble=${r.function} ${u.target.path}'`]);
}

async function trace(o: TraceOptions, units: readonly TraceUnit[], session: TraceSession, prog: string): Promise<number> {
  const ring = useRingbuf();
  const recordSize = Math.max(...units.map((u) => u.layout.size));
  const events = ring ? ringbufMapSpec(ringBytes(o.bufferPages)) : perfEventArraySpec();
  const maps = traceMaps({ transport: ring ? 'ringbuf' : 'perfbuf', events, recordSize, cgroup: o.cgroupPath !== undefined });
  // Every program names the same maps: create them once, up front.
  const eventsMap = session.map(maps.events);
  const lostMap = session.map(maps.lost);
  if (maps.scratch) session.map(maps.scratch);
  if (maps.cgroup) {
    const cg = session.map(maps.cgroup);
    let fd: number;
    try {
      fd = openSync(o.cgroupPath!, 'r');
    } catch (e) {
      throw new ResolveError(`cannot open cgroup ${o.cgroupPath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, fd, true);
      try {
        cg.update(new Uint8Array(4), v);
      } catch (e) {
        if (e instanceof SysError && e.code === 'EBADF') {
          throw new ResolveError(`${o.cgroupPath} is not a cgroup v2 directory`, ['use a directory under the cgroup2 mount (see: mount -t cgroup2)']);
        }
        throw e;
      }
    } finally {
      closeSync(fd);
    }
  }
  const reader: EventReader = ring ? RingBuffer.open(eventsMap) : PerfBuffer.open(eventsMap, o.bufferPages);
  session.own(reader);

  const specs: ProgramSpec[] = [];
  const excludeTgid = o.includeSelf || o.pid !== undefined || o.tid !== undefined ? undefined : process.pid;
  for (const u of units) {
    try {
      attachTargets(session, [u.target], {
        pid: o.pid, ret: u.ret, prefix: `trace_${u.index}`, verbose: o.verbose,
        build: (shape) => traceProgram({
          name: shape.name, progType: shape.progType, expectedAttachType: shape.expectedAttachType,
          probeIndex: u.index, layout: u.layout, maps, transport: ring ? 'ringbuf' : 'perfbuf',
          tgid: o.pid, tid: o.tid, uid: o.uid, excludeTgid, lowering: loweringFor(u, o.stringSize, shape.hook),
        }),
        onProgram: (spec) => specs.push(spec),
      });
    } catch (e) {
      throw refusedOffset(u, e);
    }
  }
  if (o.verbose || o.dump.includes('asm') || o.dump.includes('ir')) {
    for (const s of specs) await out(`; program ${s.name} (${reader.kind})\n${disasm(s.insns)}\n`);
  }

  const startNs = process.hrtime.bigint();
  const startUnix = Date.now() / 1000;
  const anyFormat = units.some((u) => u.probe.format !== undefined);
  const useTime = o.timestamp || o.time;
  if (!o.json && !o.aggregate) {
    await out(renderTraceHeader({ time: useTime, unixTimestamp: o.unixTimestamp, cpu: o.printCpu, anyFormat }));
  }

  const symbols = new Symbolizer();
  const names: AddressNames = {
    kernel: (a) => symbols.kernel(a, { offset: true }),
    user: (tgid, a) => symbols.user(tgid, a, { offset: true, module: true }),
  };
  const renderers = units.map((u) => messageRenderer(u.pieces, u.layout, names));
  const stackText = (s: readonly bigint[] | { error: number } | undefined, kernel: boolean, tgid: number): TraceStack | undefined => {
    if (s === undefined) return undefined;
    if ('error' in s) return { errorId: s.error };
    return s.map((addr) => ({ addr, name: kernel ? symbols.kernel(addr, { offset: true, module: true }) : symbols.user(tgid, addr, { offset: true, module: true }) }));
  };

  let printed = 0;
  let done = false;
  let chunk: string[] = [];
  const tasks = new TaskCache();
  const aggregate = new Map<string, bigint>();
  const max = o.maxEvents ?? Infinity;
  const nameFilter = o.name;
  const msgFilter = o.msgFilter;
  const fancy = useTime || o.printCpu || o.kernelStack || o.userStack || o.json || o.aggregate;
  const funcCols = units.map((u) => `${ljust(u.func, 16)} `);

  const sink = (bytes: Uint8Array, dv: DataView, off: number): void => {
    if (done) return;
    const probe = dv.getUint32(off + 20, true);
    const u = units[probe];
    if (!u) return;
    const t = tasks.get(bytes, dv, off);
    if (nameFilter !== undefined && !t.comm.includes(nameFilter)) return;
    const message = renderers[probe](bytes, dv, off, t.tgid);
    if (msgFilter !== undefined && !message.includes(msgFilter)) return;
    if (!fancy) {
      // BCC's "%-7d %-7d %-15s %-16s %s\n", with the task columns built once per thread.
      const cols = (t.columns ??= `${ljust(String(t.tgid), 7)} ${ljust(String(t.tid), 7)} ${ljust(t.comm, 15)} `);
      chunk.push(cols + funcCols[probe] + message + '\n');
      if (++printed >= max) done = true;
      return;
    }
    const h = readHeader(bytes, dv, off);
    if (o.json) {
      const rec = decodeRecord(u.layout, bytes, dv, off);
      const st = recordStacks(u.layout, dv, off);
      const frames = (s: TraceStack | undefined) => (s === undefined ? undefined : 'errorId' in s ? s.errorId : s.map((f) => f.name));
      const obj: { [k: string]: JsonValue } = {
        pid: h.tgid, tid: h.tid, comm: h.comm, cpu: h.cpu,
        timestamp: Number((startUnix + Number(h.ktime - startNs) / 1e9).toFixed(6)),
        probe: u.probe.text, func: u.func, message,
        args: rec.args.map((v, k) => jsonArg(u.pieces, k, v)),
        kernel_stack: frames(stackText(st.kernel, true, h.tgid)),
        user_stack: frames(stackText(st.user, false, h.tgid)),
      };
      chunk.push(jsonLine(obj));
    } else {
      const st = recordStacks(u.layout, dv, off);
      const time = !useTime ? undefined : o.timestamp
        ? traceTimeOffset(h.ktime, startNs, o.unixTimestamp ? startUnix : undefined)
        : strftimeHMS(new Date());
      const ev = {
        ...(time !== undefined ? { time } : {}),
        ...(o.printCpu ? { cpu: h.cpu } : {}),
        tgid: h.tgid, tid: h.tid, comm: h.comm, func: u.func, message,
        ...(st.kernel ? { kernelStack: stackText(st.kernel, true, h.tgid) } : {}),
        ...(st.user ? { userStack: stackText(st.user, false, h.tgid) } : {}),
      };
      if (o.aggregate) {
        const key = renderTraceEvent(ev, { unixTimestamp: o.unixTimestamp, address: o.address }).replace(/\n\n$/, '\n');
        aggregate.set(key, (aggregate.get(key) ?? 0n) + 1n);
      } else {
        chunk.push(renderTraceEvent(ev, { unixTimestamp: o.unixTimestamp, address: o.address }));
      }
    }
    if (++printed >= max) done = true;
  };

  let reportedLost = 0n;
  let reportedReadErrors = 0n;
  // Failed reads of memory (the compiler's per-CPU read_errors counter; present when some
  // expression reads memory).
  const readErrorsMap = session.maps.get(READ_ERRORS_MAP.name);
  /**
   * Says on stderr what was lost since the last report: events the full buffer dropped
   * (`N events lost`) and failed reads (`N reads of user memory failed`). With --json the
   * same goes to stdout as a loss record, returned for the caller to print in order.
   */
  const reportLost = (extraLost = 0n): string => {
    const kernel = readLost(lostMap);
    const total = (kernel > reader.transportLost() ? kernel : reader.transportLost()) + extraLost;
    const readErrors = readErrorsMap ? readLost(readErrorsMap) : 0n;
    const lost = total - reportedLost;
    const failed = readErrors - reportedReadErrors;
    reportedLost = total;
    reportedReadErrors = readErrors;
    if (lost > 0n) process.stderr.write(`${lost} events lost\n`);
    if (failed > 0n) process.stderr.write(`${failed} reads of user memory failed\n`);
    if (!o.json || (lost === 0n && failed === 0n)) return '';
    return jsonLine({ tool: 'trace', time: new Date().toISOString(), lost, read_errors: failed });
  };

  let lastReport = Date.now();
  /**
   * Writes the pending lines and waits until stdout has taken them (or a stop). Memory stays
   * bounded: one batch (at most 4,096 records' lines) is in Node's heap at a time, because the
   * next batch is read from the ring only after stdout drained this one; a slow stdout leaves
   * the events in the ring, where the kernel counts what it has to drop.
   */
  const flush = async (): Promise<void> => {
    if (!chunk.length) return;
    const c = chunk.join('');
    chunk = [];
    await raceStop(out(c));
  };
  while (!done && !stopped()) {
    const n = reader.drain(sink, 4096);
    // A stop (Ctrl-C) does not wait for a slow stdout: the loop ends and the rest is drained below.
    await flush();
    const now = Date.now();
    if (now - lastReport >= 1000) {
      lastReport = now;
      const rec = reportLost();
      if (rec) chunk.push(rec);
    }
    // raceStop, not a race with one long-lived stop promise: that would keep one reaction per
    // turn of this loop alive until the stop (the 4 MiB/s growth the soak test found).
    if (n === 0 && !done) await raceStop(reader.wait(200));
    else await new Promise((r) => setImmediate(r));
  }

  // Detach, then print what is still in the buffer: every event produced is printed or lost.
  for (const l of session.links) l.close();
  let stuck = false;
  /** Events left in the ring because nobody reads stdout: reported as lost. */
  let unread = 0n;
  if (!done && stopped() !== 'epipe') {
    await new Promise((r) => setTimeout(r, 5));
    // After a stop out() no longer waits for the pipe: wait here, but not for a reader that
    // does not read at all.
    const drained = (ms: number) => new Promise<boolean>((resolve) => {
      if (!process.stdout.writableNeedDrain) return resolve(true);
      const on = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        process.stdout.off('drain', on);
        resolve(false);
      }, ms);
      process.stdout.once('drain', on);
    });
    for (;;) {
      const n = done ? 0 : reader.drain(sink, 4096);
      await flush();
      if (!(await drained(2000))) {
        stuck = true;
        break;
      }
      if (n === 0) break;
    }
    if (stuck) {
      // Nobody reads stdout: what remains in the ring is not printed, so it is reported as lost.
      let rest = 0;
      while (reader.drain(() => rest++, 1 << 20) > 0);
      unread = BigInt(rest);
    }
  }
  if (o.aggregate && !stuck) await out(renderTraceAggregate([...aggregate]));
  if (stopped() !== 'epipe') {
    const rec = reportLost(unread);
    if (rec && !stuck) await out(rec);
  }
  if (stuck) {
    // Waiting for stdout would hang: release everything and leave now.
    session.dispose();
    process.exit(0);
  }
  return 0;
}

/** An argument as --json gives it: the integer the conversion reads, or the string. */
function jsonArg(pieces: readonly FormatPiece[], k: number, v: bigint | string): JsonValue {
  if (typeof v === 'string') return v;
  const c = pieces.filter((p) => p.kind === 'conversion')[k];
  if (!c || c.kind !== 'conversion') return v;
  const bits = c.length === 'hh' ? 8 : c.length === 'h' ? 16 : c.length === '' ? 32 : 64;
  if (c.spec === 'd' || c.spec === 'i') return BigInt.asIntN(bits, v);
  if (c.spec === 'c') return String.fromCharCode(Number(BigInt.asUintN(8, v)));
  if (c.spec === 'p' || c.spec === 'K' || c.spec === 'U') return v;
  return BigInt.asUintN(bits, v);
}
