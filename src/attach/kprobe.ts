/**
 * Kprobes and kretprobes on a kernel function (optionally at an offset into it).
 *
 * Two ways to create the probe, chosen by feature probe:
 *  - the kprobe PMU (4.17+): perf_event_open with the type read from
 *    /sys/bus/event_source/devices/kprobe/type, config bit 0 = return probe,
 *    config1 = pointer to the symbol name, config2 = offset. The probe belongs to the fd:
 *    when the process dies, the kernel removes it.
 *  - tracefs `kprobe_events` (fallback): a line `p:polytrace_<pid>/<event> sym+off` creates
 *    a trace event whose id is then opened as a PERF_TYPE_TRACEPOINT event. These entries
 *    outlive the process, so they carry our group name `polytrace_<pid>`, are removed when
 *    the Link closes and at process exit (and on SIGINT/SIGTERM/SIGHUP when nobody else
 *    handles them), and groups left by dead processes are removed the next time we start.
 *
 *   const link = attachKprobe(prog, { symbol: 'vfs_read', ret: false });
 *
 * Close the Link (or exit) to detach.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { perfEventOpen, PERF_TYPE_TRACEPOINT } from '../sys/perf.js';
import { NativeBuffer } from '../sys/mem.js';
import { ENOENT, EINVAL } from '../sys/errno.js';
import { haveKprobePmu, haveTracefsKprobeEvents } from '../features/probes.js';
import { requireTracefs } from '../kernel/tracefs.js';
import { ResolveError, SysError, TracerError, UnsupportedFeatureError } from '../errors.js';
import { attachPerfEvent } from './perf-event.js';
import type { Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export interface KprobeTarget {
  symbol: string;
  offset?: bigint;
  ret: boolean;
  cookie?: bigint;
}

const EADDRNOTAVAIL = 99;
const EILSEQ = 84;

/** The kernel will not put a kprobe there; wildcard attachers skip such functions. */
export class NotTraceableError extends ResolveError {
  constructor(
    readonly symbol: string,
    detail: string,
  ) {
    super(`cannot attach a kprobe to ${symbol}: it's not traceable (either non-existing, inlined, or marked as "notrace")${detail ? `: ${detail}` : ''}`);
  }
}

function label(t: KprobeTarget): string {
  return `${t.ret ? 'kretprobe' : 'kprobe'}:${t.symbol}${t.offset ? `+0x${t.offset.toString(16)}` : ''}`;
}

/** Attach through the kprobe PMU when the kernel has it, else through tracefs kprobe_events. */
export function attachKprobe(prog: LoadedProgram, t: KprobeTarget): Link {
  if (haveKprobePmu.available()) return attachKprobePmu(prog, t);
  if (haveTracefsKprobeEvents.available()) return attachKprobeTracefs(prog, t);
  throw new UnsupportedFeatureError(
    'kprobes',
    `kprobes are not available on this kernel (kprobe PMU: ${haveKprobePmu.reason()}; kprobe_events: ${haveTracefsKprobeEvents.reason()})`,
    ['fentry/fexit'],
  );
}

let kprobeType: number | undefined;

function kprobePmuType(): number {
  haveKprobePmu.require();
  return (kprobeType ??= Number(readFileSync('/sys/bus/event_source/devices/kprobe/type', 'utf8').trim()));
}

export function attachKprobePmu(prog: LoadedProgram, t: KprobeTarget): Link {
  const what = label(t);
  using sym = NativeBuffer.cString(t.symbol);
  let fd: number;
  try {
    fd = perfEventOpen(
      {
        type: kprobePmuType(),
        config: t.ret ? 1n : 0n,
        config1: sym.addr,
        config2: t.offset ?? 0n,
        samplePeriod: 1n,
        wakeupEvents: 1,
        disabled: true,
      },
      -1,
      0,
      -1,
      what,
    );
  } catch (e) {
    // ENOENT: no such symbol (EINVAL before 5.x); EADDRNOTAVAIL: several symbols of that
    // name (6.7+); EILSEQ: the offset is not on an instruction boundary.
    if (e instanceof SysError && [ENOENT, EINVAL, EADDRNOTAVAIL, EILSEQ].includes(e.errno)) throw new NotTraceableError(t.symbol, e.code);
    throw e;
  }
  return attachPerfEvent(prog, fd, what, t.cookie);
}

// ---------------------------------------------------------------------------------------
// tracefs kprobe_events

/** The group of this process's tracefs events. */
export function kprobeGroup(pid: number = process.pid): string {
  return `polytrace_${pid}`;
}

const GROUP_RE = /^polytrace_(\d+)$/;

export interface KprobeEventLine {
  readonly kind: 'p' | 'r';
  readonly group: string;
  readonly event: string;
  /** The probed location as the kernel prints it (`vfs_read`, `vfs_read+16`). */
  readonly location: string;
}

/**
 * Parse `<tracefs>/kprobe_events`: `p:group/event location [args]` or
 * `r[N]:group/event location [args]` per line. Lines that do not parse are skipped.
 */
export function parseKprobeEvents(text: string): KprobeEventLine[] {
  const out: KprobeEventLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^([pr])\d*:([^/\s]+)\/(\S+)\s+(\S+)/.exec(line.trim());
    if (m) out.push({ kind: m[1] as 'p' | 'r', group: m[2]!, event: m[3]!, location: m[4]! });
  }
  return out;
}

/** Our events whose process is gone (never this process's own). */
export function staleKprobeEvents(lines: readonly KprobeEventLine[], alive: (pid: number) => boolean, self: number = process.pid): KprobeEventLine[] {
  return lines.filter((l) => {
    const m = GROUP_RE.exec(l.group);
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== self && !alive(pid);
  });
}

/**
 * A trace event name for a probe: `p_` or `r_`, the symbol with every character outside
 * [A-Za-z0-9_] replaced by `_`, the offset when there is one, and `_N` when that name is
 * taken; at most 63 characters (the kernel's MAX_EVENT_NAME_LEN is 64 with the NUL).
 */
export function kprobeEventName(t: { symbol: string; offset?: bigint; ret: boolean }, taken: (name: string) => boolean): string {
  const base = `${t.ret ? 'r' : 'p'}_${t.symbol.replace(/[^A-Za-z0-9_]/g, '_')}${t.offset ? `_${t.offset.toString(16)}` : ''}`.slice(0, 54);
  if (!taken(base)) return base;
  for (let i = 1; ; i++) {
    const n = `${base}_${i}`;
    if (!taken(n)) return n;
  }
}

/** The line that creates the event (`p:group/event sym+off`, `r:group/event sym`). */
export function kprobeEventLine(group: string, event: string, t: { symbol: string; offset?: bigint; ret: boolean }): string {
  return `${t.ret ? 'r' : 'p'}:${group}/${event} ${t.symbol}${t.offset ? `+${t.offset}` : ''}`;
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

function appendLine(file: string, line: string): void {
  // O_APPEND: opening kprobe_events for writing without it would clear every probe.
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

class TracefsKprobe implements Link {
  #close: (() => void) | undefined;
  constructor(
    readonly description: string,
    close: () => void,
  ) {
    this.#close = close;
  }
  close(): void {
    const c = this.#close;
    this.#close = undefined;
    if (c) c();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

const live = new Set<TracefsKprobe>();
const usedNames = new Set<string>();
let cleanupInstalled = false;
let staleSwept = false;

function removeAll(): void {
  for (const l of [...live]) {
    try {
      l.close();
    } catch {
      // Keep going: remove as much as we can.
    }
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', removeAll);
  // With no handler of their own, these signals would end the process without 'exit'.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      removeAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Remove kprobe events of polytrace processes that no longer exist. Returns how many. */
export function removeStaleKprobeEvents(root: string = requireTracefs()): number {
  const file = join(root, 'kprobe_events');
  let n = 0;
  for (const l of staleKprobeEvents(parseKprobeEvents(readFileSync(file, 'utf8')), alive)) {
    try {
      appendLine(file, `-:${l.group}/${l.event}`);
      n++;
    } catch {
      // Busy or already gone: leave it for the next run.
    }
  }
  return n;
}

export function attachKprobeTracefs(prog: LoadedProgram, t: KprobeTarget): Link {
  haveTracefsKprobeEvents.require();
  const root = requireTracefs();
  const file = join(root, 'kprobe_events');
  if (!staleSwept) {
    staleSwept = true;
    removeStaleKprobeEvents(root);
  }
  installCleanup();
  const group = kprobeGroup();
  const event = kprobeEventName(t, (n) => usedNames.has(n) || existsSync(join(root, 'events', group, n)));
  const what = label(t);
  try {
    appendLine(file, kprobeEventLine(group, event, t));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || code === 'EINVAL' || code === 'EILSEQ' || code === 'EADDRNOTAVAIL')
      throw new NotTraceableError(t.symbol, `writing ${file}: ${code}`);
    throw new TracerError(`cannot create ${what} in ${file}: ${code || String(e)}`);
  }
  usedNames.add(event);
  const remove = () => {
    usedNames.delete(event);
    try {
      appendLine(file, `-:${group}/${event}`);
    } catch {
      // Already removed (or tracefs gone): nothing left to do.
    }
  };
  let link: Link;
  try {
    const id = Number(readFileSync(join(root, 'events', group, event, 'id'), 'utf8').trim());
    const fd = perfEventOpen({ type: PERF_TYPE_TRACEPOINT, config: BigInt(id), samplePeriod: 1n, wakeupEvents: 1, disabled: true }, -1, 0, -1, what);
    link = attachPerfEvent(prog, fd, `${what} (kprobe_events)`, t.cookie);
  } catch (e) {
    remove();
    throw e;
  }
  // The perf event must be closed before the trace event can be removed (else EBUSY).
  const l: TracefsKprobe = new TracefsKprobe(link.description, () => {
    live.delete(l);
    try {
      link.close();
    } finally {
      remove();
    }
  });
  live.add(l);
  return l;
}
