/**
 * Attaching one program shape to many targets, choosing the cheapest mechanism the kernel
 * has:
 *  - tracepoints: one program reading its slot from the bpf_cookie, attached to every
 *    tracepoint (5.15+), else one program per tracepoint with its slot baked in;
 *  - uprobes and USDT sites of one file: one uprobe_multi link (6.6+) for all of them,
 *    else one shared program with a cookie per perf event, else one program per target.
 * The slot of a target is its index in `targets`: that is where the program counts.
 */
import { ProgType, AttachType, type ProgramSpec } from '../emit/types.js';
import { haveUprobeMulti } from '../features/probes.js';
import { cookiesSupported } from './perf-event.js';
import { attachTracepoint } from './tracepoint.js';
import { attachUprobe, attachUprobeMulti } from './uprobe.js';
import type { SlotSource } from '../compile/tools/count.js';
import type { ProbeTarget } from '../probes/targets.js';
import type { TraceSession } from '../session.js';
import { assertNever, UnsupportedFeatureError } from '../errors.js';

export interface ProgramShape {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly slot: SlotSource;
  /** The kind of hook this program runs at (tracepoint programs see a different ctx). */
  readonly hook: 'tracepoint' | 'uprobe';
}

export interface AttachOptions {
  readonly pid?: number;
  /** Return probes (uretprobe) instead of entry probes, for user functions. */
  readonly ret?: boolean;
  readonly verbose?: boolean;
  /** Name prefix of the loaded programs ("funccount"). */
  readonly prefix: string;
  build(shape: ProgramShape): ProgramSpec;
  /** Called with every program before it is loaded (for -D / --dump=asm). */
  onProgram?(spec: ProgramSpec): void;
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
    case 'kfunc':
      return [];
    default:
      return assertNever(t, 'target');
  }
}

export function attachTargets(session: TraceSession, targets: readonly ProbeTarget[], o: AttachOptions): void {
  const load = (shape: ProgramShape) => {
    const spec = o.build(shape);
    o.onProgram?.(spec);
    return session.load(spec, { verbose: o.verbose, origin: shape.name });
  };
  const cookies = cookiesSupported();

  // Tracepoints.
  const tps = targets.map((t, slot) => ({ t, slot })).filter((x) => x.t.kind === 'tracepoint');
  if (tps.length) {
    const shared = cookies ? load({ name: `${o.prefix}_tp`, progType: ProgType.Tracepoint, slot: { kind: 'cookie' }, hook: 'tracepoint' }) : undefined;
    for (const { t, slot } of tps) {
      if (t.kind !== 'tracepoint') continue;
      const prog = shared ?? load({ name: `${o.prefix}_${slot}`, progType: ProgType.Tracepoint, slot: { kind: 'const', slot }, hook: 'tracepoint' });
      session.attach(attachTracepoint(prog, { category: t.category, event: t.event, cookie: shared ? BigInt(slot) : undefined }));
    }
  }

  // Kernel functions are resolved (and refused) before we get here on kernels without them.
  if (targets.some((t) => t.kind === 'kfunc')) {
    throw new UnsupportedFeatureError('kernel_functions', 'kernel-function probes are not supported yet');
  }

  // User-space sites, grouped by file.
  const byPath = new Map<string, Site[]>();
  targets.forEach((t, slot) => {
    for (const s of sitesOf(t, slot)) {
      const list = byPath.get(s.path) ?? [];
      list.push(s);
      byPath.set(s.path, list);
    }
  });
  if (byPath.size === 0) return;
  if (haveUprobeMulti.available()) {
    let i = 0;
    for (const [path, sites] of byPath) {
      const prog = load({
        name: `${o.prefix}_um${i++}`, progType: ProgType.Kprobe, expectedAttachType: AttachType.TraceUprobeMulti,
        slot: { kind: 'cookie' }, hook: 'uprobe',
      });
      const hasRef = sites.some((s) => s.refCtr);
      session.attach(attachUprobeMulti(prog, {
        path, ret: !!o.ret, pid: o.pid,
        offsets: sites.map((s) => s.offset),
        cookies: sites.map((s) => BigInt(s.slot)),
        refCtrOffsets: hasRef ? sites.map((s) => s.refCtr ?? 0n) : undefined,
      }));
    }
    return;
  }
  const shared = cookies ? load({ name: `${o.prefix}_up`, progType: ProgType.Kprobe, slot: { kind: 'cookie' }, hook: 'uprobe' }) : undefined;
  const perSlot = new Map<number, ReturnType<typeof load>>();
  for (const sites of byPath.values()) {
    for (const s of sites) {
      let prog = shared ?? perSlot.get(s.slot);
      if (!prog) {
        prog = load({ name: `${o.prefix}_${s.slot}`, progType: ProgType.Kprobe, slot: { kind: 'const', slot: s.slot }, hook: 'uprobe' });
        perSlot.set(s.slot, prog);
      }
      session.attach(attachUprobe(prog, {
        path: s.path, offset: s.offset, ret: !!o.ret, pid: o.pid, refCtrOffset: s.refCtr,
        cookie: shared ? BigInt(s.slot) : undefined, label: s.label,
      }));
    }
  }
}
