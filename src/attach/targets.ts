/**
 * Attaching one program shape to many targets, choosing the cheapest mechanism the kernel
 * has:
 *  - tracepoints, by the mechanism their provider chose when resolving them: at raw
 *    tracepoints, one program per tracepoint with its slot baked in, and one program at raw
 *    sys_enter (sys_exit) for every syscalls:sys_enter_* (sys_exit_*) event, its slot read
 *    from a table by syscall number; a raw tracepoint the kernel does not have falls back to
 *    a perf event in the same slot. As perf events: one program reading its slot from the
 *    bpf_cookie, attached to every tracepoint (5.15+), else one program per tracepoint with
 *    its slot baked in;
 *  - uprobes and USDT sites, by the mechanism their provider chose: one uprobe_multi link
 *    (6.6+) per file, else one shared program with a cookie per perf event, else one program
 *    per target;
 *  - kernel functions, by the mechanism their provider chose when resolving them: kprobes
 *    through one kprobe_multi link (5.18+, CONFIG_FPROBE) for all of them — a set the kernel
 *    refuses as a whole (one function it will not probe) goes one by one —, else a kprobe per
 *    function (kprobe PMU, else tracefs kprobe_events) sharing one program through cookies
 *    where it can; or fentry/fexit with one program per function (its BTF id is part of the
 *    program). In a set of several functions, one the kernel will not probe is skipped with a
 *    warning; a set where none attaches is an error.
 * The slot of a target is its index in `targets`: that is where the program counts.
 */
import { ProgType, AttachType, type ProgramSpec } from '../emit/types.js';
import { cookiesSupported } from './perf-event.js';
import { attachTracepoint } from './tracepoint.js';
import { attachRawTracepoint, isMissingRawTracepoint } from './raw-tracepoint.js';
import { syscallLayout } from '../kernel/syscall-layout.js';
import { attachUprobe, attachUprobeMulti } from './uprobe.js';
import { startKeeper } from './keeper.js';
import { attachKprobe } from './kprobe.js';
import { attachKprobeMulti } from './kprobe-multi.js';
import { attachFentry, fentryAttachBtf } from './fentry.js';
import type { Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';
import { encodeSyscallSlots, syscallSlotsMapSpec, type SlotSource, type SyscallSlots } from '../compile/tools/count.js';
import type { ProbeTarget } from '../probes/targets.js';
import type { KernelFunctionMechanism } from '../probes/host.js';
import type { TraceSession } from '../session.js';
import { assertNever, SysError, TracerError, UnsupportedFeatureError } from '../errors.js';
import { hostArch } from '../symbols/arch.js';
import { readFileSync } from 'node:fs';

/** Up to this many tracepoints get a program each (constant slot); more share one (cookie). */
export const SEPARATE_PROGRAMS_UP_TO = 16;

export interface ProgramShape {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly slot: SlotSource;
  /**
   * The kind of hook this program runs at: tracepoint programs see the record, uprobe and
   * kprobe programs pt_regs, fentry/fexit programs the function's arguments as u64s. Only
   * uprobes are filtered by process at attach time; the others see every process.
   */
  readonly hook: 'tracepoint' | 'raw_tracepoint' | 'uprobe' | 'kprobe' | 'fentry';
  /** fentry/fexit: the function's BTF id, set on the program spec before loading. */
  readonly attachBtfId?: number;
  /** fentry/fexit on a module's function: the module whose BTF that id is in. */
  readonly attachBtfModule?: string;
}

export interface AttachOptions {
  readonly pid?: number;
  /** Return probes (uretprobe, kretprobe, fexit) instead of entry probes. */
  readonly ret?: boolean;
  readonly verbose?: boolean;
  /** Name prefix of the loaded programs ("funccount"). */
  readonly prefix: string;
  build(shape: ProgramShape): ProgramSpec;
  /** Called with every program before it is loaded (for -D / --dump=asm). */
  onProgram?(spec: ProgramSpec): void;
  /** Where to say that some functions of a set were skipped (default: stderr). */
  warn?(message: string): void;
}

interface Site {
  readonly path: string;
  readonly offset: bigint;
  readonly refCtr?: bigint;
  readonly slot: number;
  readonly label: string;
}

function sitesOf(t: ProbeTarget, slot: number): Site[] {
  switch (t.kind) {
    case 'uprobe':
      return [{ path: t.path, offset: t.offset, slot, label: t.name }];
    case 'usdt':
      return t.sites.map((s) => ({ path: t.path, offset: s.offset, refCtr: s.semaphoreOffset, slot, label: t.name }));
    case 'tracepoint':
    case 'raw_tracepoint':
    case 'kfunc':
      return [];
    default:
      return assertNever(t, 'target');
  }
}

export function attachTargets(session: TraceSession, targets: readonly ProbeTarget[], o: AttachOptions): void {
  const load = (shape: ProgramShape) => {
    const built = o.build(shape);
    const spec =
      shape.attachBtfId === undefined
        ? built
        : {
            ...built,
            expectedAttachType: shape.expectedAttachType,
            attachBtfId: shape.attachBtfId,
            ...(shape.attachBtfModule ? { attachBtfModule: shape.attachBtfModule } : {}),
          };
    o.onProgram?.(spec);
    return session.load(spec, { verbose: o.verbose, origin: shape.name });
  };
  const cookies = cookiesSupported();
  // Uprobes go through the keeper (keeper.ts): start it now, while the programs load.
  if (targets.some((t) => t.kind === 'uprobe' || t.kind === 'usdt')) startKeeper();

  // Tracepoints: raw tracepoints first; those the kernel lacks join the perf events.
  const tps: PerfTracepoint[] = [];
  const raws: RawTracepointSlot[] = [];
  targets.forEach((t, slot) => {
    // rawtracepoint:NAME has no perf event to fall back to.
    if (t.kind === 'raw_tracepoint') raws.push({ tracepoint: t.name, slot });
    if (t.kind !== 'tracepoint') return;
    if (t.mechanism === 'raw') raws.push({ tracepoint: t.tracepoint, syscall: t.syscall, slot, perf: { category: t.category, event: t.event } });
    else tps.push({ category: t.category, event: t.event, slot });
  });
  if (raws.length) {
    if (o.ret) throw new TracerError('internal: a raw tracepoint has no return to probe');
    tps.push(...attachRawTracepoints(session, raws, o.prefix, load));
  }
  if (tps.length) {
    // A baked-in slot saves a helper call per event; a shared program saves a load per target.
    const shared =
      cookies && tps.length > SEPARATE_PROGRAMS_UP_TO
        ? load({ name: `${o.prefix}_tp`, progType: ProgType.Tracepoint, slot: { kind: 'cookie' }, hook: 'tracepoint' })
        : undefined;
    for (const { category, event, slot } of tps) {
      const prog = shared ?? load({ name: `${o.prefix}_${slot}`, progType: ProgType.Tracepoint, slot: { kind: 'const', slot }, hook: 'tracepoint' });
      session.attach(attachTracepoint(prog, { category, event, cookie: shared ? BigInt(slot) : undefined }));
    }
  }

  // Kernel functions (resolved, and refused on kernels without any mechanism, before here).
  const kfuncs: KfuncSlot[] = [];
  targets.forEach((t, slot) => {
    if (t.kind === 'kfunc') kfuncs.push({ symbol: t.symbol, slot, mechanism: t.mechanism });
  });
  if (kfuncs.length) attachKernelFunctions(session, kfuncs, o, load, cookies);

  // User-space sites: one uprobe_multi link per file, or a perf event per site.
  const multi = new Map<string, Site[]>();
  const perf: Site[] = [];
  targets.forEach((t, slot) => {
    if (t.kind !== 'uprobe' && t.kind !== 'usdt') return;
    const mechanism = t.mechanism;
    switch (mechanism) {
      case 'uprobe_multi':
        for (const s of sitesOf(t, slot)) {
          const sites = multi.get(s.path);
          if (sites) sites.push(s);
          else multi.set(s.path, [s]);
        }
        break;
      case 'perf_event':
        perf.push(...sitesOf(t, slot));
        break;
      default:
        assertNever(mechanism, 'user probe mechanism');
    }
  });
  if (multi.size === 0 && perf.length === 0) return;
  if (o.pid !== undefined && isKernelThread(o.pid)) {
    throw new TracerError(`PID ${o.pid} is a kernel thread: it runs no user-space code, so uprobes and USDT probes filtered on it never fire`, [
      'give -p the PID of a user-space process',
    ]);
  }
  const skipped: SkippedSite[] = [];
  let total = perf.length;
  let i = 0;
  for (const [path, sites] of multi) {
    const prog = load({
      name: `${o.prefix}_um${i++}`,
      progType: ProgType.Kprobe,
      expectedAttachType: AttachType.TraceUprobeMulti,
      slot: { kind: 'cookie' },
      hook: 'uprobe',
    });
    const hasRef = sites.some((s) => s.refCtr);
    const attachSet = (set: readonly Site[]) =>
      attachUprobeMulti(prog, {
        path,
        ret: !!o.ret,
        pid: o.pid,
        offsets: set.map((s) => s.offset),
        cookies: set.map((s) => BigInt(s.slot)),
        refCtrOffsets: hasRef ? set.map((s) => s.refCtr ?? 0n) : undefined,
      });
    total += sites.length;
    attachRefusing(session, sites, attachSet, skipped);
  }
  if (perf.length) attachUprobePerfEvents(session, perf, o, load, cookies, skipped);
  reportSkippedSites(skipped, total, o);
}

function attachUprobePerfEvents(
  session: TraceSession,
  sites: readonly Site[],
  o: AttachOptions,
  load: (shape: ProgramShape) => LoadedProgram,
  cookies: boolean,
  skipped: SkippedSite[],
): void {
  const shared = cookies ? load({ name: `${o.prefix}_up`, progType: ProgType.Kprobe, slot: { kind: 'cookie' }, hook: 'uprobe' }) : undefined;
  const perSlot = new Map<number, LoadedProgram>();
  for (const s of sites) {
    let prog = shared ?? perSlot.get(s.slot);
    if (!prog) {
      prog = load({ name: `${o.prefix}_${s.slot}`, progType: ProgType.Kprobe, slot: { kind: 'const', slot: s.slot }, hook: 'uprobe' });
      perSlot.set(s.slot, prog);
    }
    const p = prog;
    const attachOne = ([t]: readonly Site[]) =>
      attachUprobe(p, {
        path: t!.path,
        offset: t!.offset,
        ret: !!o.ret,
        pid: o.pid,
        refCtrOffset: t!.refCtr,
        cookie: shared ? BigInt(t!.slot) : undefined,
        label: t!.label,
      });
    attachRefusing(session, [s], attachOne, skipped);
  }
}

/** A user-space site the kernel refused, and its reason. */
interface SkippedSite {
  readonly site: Site;
  readonly why: string;
  readonly error: SysError;
}

/**
 * Whether the kernel refused a probe because of one of its sites: an instruction uprobes
 * cannot take (x86's `arch_uprobe_analyze_insn`: lock and segment prefixes, some opcodes;
 * arm64's: exclusive loads and stores, some system instructions: ENOTSUPP), an offset outside
 * the file's code or not on an instruction (EINVAL), and so on.
 */
function refusedSite(e: unknown): e is SysError {
  return e instanceof SysError && ['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL', 'EILSEQ', 'ENOEXEC'].includes(e.code);
}

/**
 * Attach `sites` through `attach` (one link for the whole set). A uprobe_multi link is refused
 * whole when one offset is refused, so a refused set is halved until the refused sites are
 * alone: those are recorded in `skipped`, the rest attach in as many links as that took
 * (about 2·log2(n) attempts per refused site).
 */
function attachRefusing(session: TraceSession, sites: readonly Site[], attach: (set: readonly Site[]) => Link, skipped: SkippedSite[]): void {
  const todo: (readonly Site[])[] = [sites];
  for (let set = todo.pop(); set; set = todo.pop()) {
    try {
      session.attach(attach(set));
    } catch (e) {
      if (!refusedSite(e)) throw e;
      if (set.length === 1) {
        skipped.push({ site: set[0]!, why: e.message.split('\n')[0]!, error: e });
        continue;
      }
      const half = set.length >> 1;
      todo.push(set.slice(half), set.slice(0, half));
    }
  }
}

function siteName(s: Site): string {
  return `${s.label} (${s.path}:0x${s.offset.toString(16)})`;
}

/** Skipped sites: a note naming them; an error when nothing attached. */
function reportSkippedSites(skipped: readonly SkippedSite[], total: number, o: AttachOptions): void {
  const first = skipped[0];
  if (!first) return;
  const which = hostArch() === 'arm64' ? 'arm64: exclusive loads and stores' : 'x86: lock or segment prefixes';
  const hints = [`uprobes cannot take some first instructions (${which}); probe another function or an offset (+N) past it`];
  // Still a SysError, so a tool can say more (trace: an offset inside an instruction).
  if (total === 1) throw new SysError(first.error.call, first.error.errno, first.error.code, `probing ${siteName(first.site)}`, hints);
  if (skipped.length === total)
    throw new TracerError(`none of the ${total} user-space probe sites could be probed (${siteName(first.site)}: ${first.why})`, hints);
  const names = [...new Set(skipped.map((s) => s.site.label))];
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length - 8} more)` : names.join(', ');
  const warn = o.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  warn(`warning: skipped ${skipped.length} of ${total} user-space probe sites that the kernel refused: ${shown} (${first.why})`);
}

/** Whether `pid` is a kernel thread (PF_KTHREAD in /proc/PID/stat); false if unknown. */
function isKernelThread(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // Fields after the command (which may hold blanks and parentheses): state is field 3, flags field 9.
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
  const PF_KTHREAD = 0x00200000;
  return Number.isInteger(flags) && (flags & PF_KTHREAD) !== 0;
}

interface PerfTracepoint {
  readonly category: string;
  readonly event: string;
  readonly slot: number;
}

/** A target at a raw tracepoint: counted in `slot`; a syscall's events are told apart by number. */
export interface RawTracepointSlot {
  readonly tracepoint: string;
  readonly slot: number;
  /** syscalls:* events: the syscall's number at raw sys_enter/sys_exit. */
  readonly syscall?: number;
  /** The tracefs event to take as a perf event where the kernel has no raw tracepoint `tracepoint`. */
  readonly perf?: { readonly category: string; readonly event: string };
}

/**
 * Attaches each target at its raw tracepoint: one program per target with its slot baked in
 * (BPF_RAW_TRACEPOINT_OPEN passes no cookie before 6.10), and one program per syscall family
 * (sys_enter, sys_exit) with a table from syscall number to slot. Returns the targets whose
 * raw tracepoint the kernel does not have and that name a perf event to fall back to; a
 * missing one without a fallback is an error.
 */
export function attachRawTracepoints(
  session: TraceSession,
  raws: readonly RawTracepointSlot[],
  prefix: string,
  load: (shape: ProgramShape) => LoadedProgram,
): PerfTracepoint[] {
  const fallback: PerfTracepoint[] = [];
  const open = (prog: LoadedProgram, name: string, falling: readonly RawTracepointSlot[]) => {
    try {
      session.attach(attachRawTracepoint(prog, name));
    } catch (e) {
      if (!isMissingRawTracepoint(e) || falling.some((r) => !r.perf)) throw e;
      for (const r of falling) fallback.push({ ...r.perf!, slot: r.slot });
    }
  };
  const families = new Map<string, RawTracepointSlot[]>();
  for (const r of raws) {
    if (r.syscall === undefined) {
      open(
        load({ name: `${prefix}_${r.slot}`, progType: ProgType.RawTracepoint, slot: { kind: 'const', slot: r.slot }, hook: 'raw_tracepoint' }),
        r.tracepoint,
        [r],
      );
      continue;
    }
    const f = families.get(r.tracepoint) ?? [];
    f.push(r);
    families.set(r.tracepoint, f);
  }
  for (const [family, members] of families) {
    const layout = syscallLayout();
    if (family !== 'sys_enter' && family !== 'sys_exit') throw new TracerError(`internal: syscall numbers at raw ${family}`);
    if (!layout) throw new TracerError(`internal: syscall events at raw ${family} on a kernel whose syscall layout is unknown`);
    const slots = new Map<number, number>();
    for (const m of members) {
      if (!slots.has(m.syscall!)) slots.set(m.syscall!, m.slot);
      // Two events of one number (never, from the generated table) cannot share the table.
      else if (m.perf) fallback.push({ ...m.perf, slot: m.slot });
      else throw new TracerError(`internal: syscall ${m.syscall} twice at raw ${family}`);
    }
    const table = syscallSlotsMapSpec(`${family}_slots`, Math.max(...slots.keys()) + 1);
    const slot: SyscallSlots = {
      kind: 'syscall',
      table,
      nr: family === 'sys_enter' ? { from: 'arg1' } : layout.exitNr,
      ...(layout.compat ? { compat: layout.compat } : {}),
    };
    const prog = load({ name: `${prefix}_${family === 'sys_enter' ? 'se' : 'sx'}`, progType: ProgType.RawTracepoint, slot, hook: 'raw_tracepoint' });
    session.map(table).update(new Uint8Array(4), encodeSyscallSlots(table, slots));
    open(
      prog,
      family,
      members.filter((m) => slots.get(m.syscall!) === m.slot),
    );
  }
  return fallback;
}

interface KfuncSlot {
  readonly symbol: string;
  readonly slot: number;
  readonly mechanism: KernelFunctionMechanism;
}

function attachKernelFunctions(
  session: TraceSession,
  fns: readonly KfuncSlot[],
  o: AttachOptions,
  load: (shape: ProgramShape) => LoadedProgram,
  cookies: boolean,
): void {
  const ret = !!o.ret;
  const mechanism = fns[0]!.mechanism;
  if (fns.some((f) => f.mechanism !== mechanism)) throw new TracerError('internal: kernel functions of one program by two mechanisms');
  if (mechanism === 'kprobe_multi') {
    const prog = load({
      name: `${o.prefix}_km`,
      progType: ProgType.Kprobe,
      expectedAttachType: AttachType.TraceKprobeMulti,
      slot: { kind: 'cookie' },
      hook: 'kprobe',
    });
    try {
      session.attach(attachKprobeMulti(prog, { symbols: fns.map((f) => f.symbol), cookies: fns.map((f) => BigInt(f.slot)), ret }));
      return;
    } catch (e) {
      // The kernel refuses the whole set when one function cannot be probed: go one by one.
      if (fns.length === 1) throw e;
    }
  }
  const skipped: Array<{ symbol: string; why: string }> = [];
  const each = (attach: (f: KfuncSlot) => Link) => {
    for (const f of fns) {
      try {
        session.attach(attach(f));
      } catch (e) {
        if (fns.length === 1 || !(e instanceof TracerError) || e instanceof UnsupportedFeatureError) throw e;
        skipped.push({ symbol: f.symbol, why: e.message.split('\n')[0]! });
      }
    }
  };
  switch (mechanism) {
    case 'kprobe_multi':
    case 'kprobe': {
      const shared = cookies ? load({ name: `${o.prefix}_kp`, progType: ProgType.Kprobe, slot: { kind: 'cookie' }, hook: 'kprobe' }) : undefined;
      each((f) => {
        const prog = shared ?? load({ name: `${o.prefix}_${f.slot}`, progType: ProgType.Kprobe, slot: { kind: 'const', slot: f.slot }, hook: 'kprobe' });
        return attachKprobe(prog, { symbol: f.symbol, ret, cookie: shared ? BigInt(f.slot) : undefined });
      });
      break;
    }
    case 'fentry':
      each((f) => {
        const btf = fentryAttachBtf(f.symbol);
        const prog = load({
          name: `${o.prefix}_${ret ? 'fx' : 'fe'}${f.slot}`,
          progType: ProgType.Tracing,
          expectedAttachType: ret ? AttachType.TraceFexit : AttachType.TraceFentry,
          attachBtfId: btf.id,
          ...(btf.module ? { attachBtfModule: btf.module } : {}),
          slot: { kind: 'const', slot: f.slot },
          hook: 'fentry',
        });
        return attachFentry(prog, f.symbol);
      });
      break;
    default:
      assertNever(mechanism, 'kernel function mechanism');
  }
  if (skipped.length === fns.length) {
    throw new TracerError(`none of the ${fns.length} kernel functions could be probed (${skipped[0]!.symbol}: ${skipped[0]!.why})`);
  }
  if (skipped.length) {
    const warn = o.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
    warn(`warning: skipped ${skipped.length} of ${fns.length} kernel functions that cannot be probed (${skipped[0]!.symbol}: ${skipped[0]!.why})`);
  }
}
