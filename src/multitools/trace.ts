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
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { toolCommand, intArg, collect, parseDump, pidArg, uidArg } from './options.js';
import { runWithSession } from '../report/lifecycle.js';
import { EventLines, EventLoss, runEventLoop } from '../report/events.js';
import { ResolveError, SysError, TracerError, UsageError } from '../errors.js';
import { parseTraceProbes } from '../specs/parse.js';
import { attachTargets } from '../attach/targets.js';
import type { TraceSession } from '../session.js';
import type { ProgramSpec } from '../emit/types.js';
import { haveRingbuf } from '../features/probes.js';
import { RingBuffer, ringBytes, ringbufMapSpec } from '../events/ringbuf.js';
import { PerfBuffer, perfEventArraySpec } from '../events/perfbuf.js';
import type { EventReader } from '../events/types.js';
import { traceMaps, traceProgram, DEFAULT_STRING_SIZE, MAX_STRING_SIZE } from '../compile/tools/trace.js';
import { loadHeaders, loweringFor, planUnits, type TraceUnit } from './trace-plan.js';
export type { TraceUnit } from './trace-plan.js';
import { cgroupFilterMap } from '../pipeline/cgroup.js';
import { requireProcess } from '../pipeline/process.js';
import { dumpProgramStages, dumpResolved, dumpStage } from '../pipeline/dump.js';
import { traceSink } from './trace-sink.js';
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
trace 'rawtracepoint:sched_switch "%s -> %s", args->prev->comm, args->next->comm'
        Trace context switches at the raw tracepoint: its arguments are named and typed
        from kernel BTF (args->name), or arg1, arg2, ... as u64 (rt:NAME is the same)
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
  const n = intArg('BUFFER_PAGES', { min: 1, max: 1 << 20 })(value);
  if ((n & (n - 1)) !== 0) throw new InvalidArgumentError(`Perf buffer page_cnt must be a power of two, got ${n}`);
  return n;
}

export function parseOptions(argv: readonly string[], prog: string): TraceOptions {
  const cmd = toolCommand(prog, 'Attach to functions and print trace messages.', EPILOG)
    .argument('<probe...>', 'probe specifier (see examples)')
    .option('-b, --buffer-pages <BUFFER_PAGES>', 'number of pages per CPU for the event buffer (a power of two; default: at least 4 MiB in all)', powerOfTwo)
    .option('-p, --pid <PID>', 'id of the process to trace (optional)', pidArg())
    .option('-L, --tid <TID>', 'id of the thread to trace (optional)', pidArg('TID'))
    .option('--uid <UID>', 'id of the user to trace (optional)', uidArg())
    .option('-v, --verbose', 'print the BPF programs before starting', false)
    .option(
      '-Z, --string-size <STRING_SIZE>',
      'maximum size to read from strings',
      intArg('STRING_SIZE', { min: 1, max: MAX_STRING_SIZE }),
      DEFAULT_STRING_SIZE,
    )
    .option('-S, --include-self', "do not filter trace's own pid from the trace", false)
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
    probes: cmd.args,
    bufferPages: o.bufferPages,
    pid: o.pid,
    tid: o.tid,
    uid: o.uid,
    verbose: o.verbose,
    stringSize: o.stringSize,
    includeSelf: o.includeSelf,
    maxEvents: o.maxEvents,
    timestamp: o.timestamp,
    unixTimestamp: o.unixTimestamp,
    time: o.time,
    printCpu: o.print_cpu,
    cgroupPath: o.cgroupPath,
    name: o.name,
    msgFilter: o.msgFilter,
    binCmp: o.bin_cmp,
    symFiles: o.sym_file_list ? String(o.sym_file_list).split(',').filter(Boolean) : [],
    kernelStack: o.kernelStack,
    userStack: o.userStack,
    address: o.address,
    includes: o.include,
    aggregate: o.aggregate,
    json: o.json,
    dump: o.dump,
  };
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export async function run(argv: readonly string[], prog: string): Promise<void> {
  const o = parseOptions(argv, prog);
  if (o.aggregate && o.maxEvents === undefined) throw new TracerError('-M/--max-events should be specified with -A/--aggregate');
  requireProcess(o.pid);
  for (const f of o.symFiles) if (!existsSync(f)) throw new ResolveError(`symbol file ${f} does not exist`);
  const probes = parseTraceProbes(o.probes);
  await dumpStage(o.dump, 'ast', probes);
  const headers = loadHeaders(o.includes);
  for (const n of headers.notes) process.stderr.write(`${prog}: ${n}\n`);
  const units = planUnits(o, probes, headers.types);
  await dumpResolved(
    o.dump,
    units.map((u) => ({ probe: u.probe.text, resolved: [u.resolved], layout: u.layout })),
  );

  // Node writes to a pipe synchronously: a full pipe would block the whole process (no Ctrl-C,
  // no draining of the ring). Asynchronous writes keep the loop turning; out() waits for 'drain'.
  const handle = (process.stdout as unknown as { _handle?: { setBlocking?: (b: boolean) => number } })._handle;
  if (handle?.setBlocking && !process.stdout.isTTY) handle.setBlocking(false);
  await runWithSession(o.pid, (session) => trace(o, units, session, prog));
}

function useRingbuf(): boolean {
  return haveRingbuf.available();
}

/**
 * The maps every program names, created once, up front, and the reader of the events: one
 * BPF ring buffer shared by every probe, or perf buffers where the kernel has none.
 */
function openTransport(o: TraceOptions, units: readonly TraceUnit[], session: TraceSession) {
  const ring = useRingbuf();
  const recordSize = Math.max(...units.map((u) => u.layout.size));
  const events = ring ? ringbufMapSpec(ringBytes(o.bufferPages)) : perfEventArraySpec();
  const maps = traceMaps({ transport: ring ? 'ringbuf' : 'perfbuf', events, recordSize });
  const eventsMap = session.map(maps.events);
  const lostMap = session.map(maps.lost);
  if (maps.scratch) session.map(maps.scratch);
  const reader: EventReader = session.own(ring ? RingBuffer.open(eventsMap) : PerfBuffer.open(eventsMap, o.bufferPages));
  return { ring, maps, reader, lostMap };
}

/**
 * A uprobe at func+N: the kernel decodes the instruction there when a process maps the file and
 * refuses one it cannot decode (ENOEXEC) or single-step (ENOTSUPP), usually because N falls
 * inside an instruction. Say that instead of the bare errno of the attach call.
 */
function refusedOffset(u: TraceUnit, e: unknown): unknown {
  const r = u.probe.ref;
  if (!(e instanceof SysError) || (e.code !== 'ENOTSUPP' && e.code !== 'ENOEXEC') || !r.offset || u.resolved.target.kind !== 'uprobe') return e;
  return new TracerError(
    `the kernel refused to probe ${r.function}+${r.offset} in ${u.resolved.target.path} (${e.code}): ` +
      `offset ${r.offset} is not the start of an instruction it can probe`,
    [`pick an instruction boundary from 'objdump -d --disassemble=${r.function} ${u.resolved.target.path}'`],
  );
}

async function trace(o: TraceOptions, units: readonly TraceUnit[], session: TraceSession, prog: string): Promise<number> {
  const { ring, maps, reader, lostMap } = openTransport(o, units, session);

  const specs: ProgramSpec[] = [];
  const filter = {
    pid: o.pid,
    tid: o.tid,
    uid: o.uid,
    excludePid: o.includeSelf || o.pid !== undefined || o.tid !== undefined ? undefined : process.pid,
    ...(o.cgroupPath !== undefined ? { cgroup: cgroupFilterMap(session, o.cgroupPath) } : {}),
  };
  for (const u of units) {
    try {
      attachTargets(session, [u.resolved.target], {
        pid: o.pid,
        ret: u.resolved.ret,
        prefix: `trace_${u.index}`,
        verbose: o.verbose,
        build: (shape) =>
          traceProgram({
            name: shape.name,
            progType: shape.progType,
            expectedAttachType: shape.expectedAttachType,
            probeIndex: u.index,
            layout: u.layout,
            maps,
            transport: ring ? 'ringbuf' : 'perfbuf',
            filter,
            lowering: loweringFor(u, o.stringSize),
          }),
        onProgram: (spec) => specs.push(spec),
      });
    } catch (e) {
      throw refusedOffset(u, e);
    }
  }
  await dumpProgramStages(specs, o.dump, { asm: o.verbose, note: reader.kind });

  const lines = new EventLines();
  const { sink, epilogue } = await traceSink(o, units, lines);
  // Failed reads of memory: the compiler's per-CPU read_errors counter, present when some
  // expression reads memory.
  const loss = new EventLoss({ lost: lostMap, readErrors: session.maps.get(READ_ERRORS_MAP.name), reader, ...(o.json ? { jsonTool: 'trace' } : {}) });
  return runEventLoop({ reader, sink, lines, loss, session, ...(epilogue ? { epilogue } : {}) });
}
