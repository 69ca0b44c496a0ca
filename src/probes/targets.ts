/**
 * What a pattern resolves to: concrete places to attach, each with the name the tools
 * print for it. Resolution is pure over the host's files (tracefs, ELF, notes).
 */

import type { KernelFunctionMechanism, UserProbeMechanism } from './host.js';

/**
 * How a tracefs event is attached, chosen once when it is resolved (the tracepoint provider).
 * A program that reads the event's record (`args->field`) needs the perf event; one that only
 * counts runs at the raw tracepoint, which attaches and detaches in milliseconds where each
 * perf-event tracepoint waits for an RCU grace period when closed.
 */
export type TracepointAttach =
  /** A perf event on the tracefs event: the program sees the event's record. */
  | { readonly mechanism: 'perf' }
  /**
   * BPF_RAW_TRACEPOINT_OPEN on `tracepoint` (the event's name for most events; `sys_enter` or
   * `sys_exit` for syscalls:*): the program sees the tracepoint's arguments as u64s. With
   * `syscall`, one program at that tracepoint counts every syscalls:* event of the command
   * line, telling them apart by this number. Where the kernel has no raw tracepoint of that
   * name, the event falls back to a perf event in the same slot.
   */
  | { readonly mechanism: 'raw'; readonly tracepoint: string; readonly syscall?: number };

export type ProbeTarget =
  | ({ readonly kind: 'tracepoint'; readonly category: string; readonly event: string; readonly name: string } & TracepointAttach)
  /**
   * `rawtracepoint:NAME`: BPF_RAW_TRACEPOINT_OPEN on the kernel's tracepoint `name` (which
   * may have no tracefs event), never a perf event. `name` is also what the tools print.
   */
  | { readonly kind: 'raw_tracepoint'; readonly name: string }
  | {
      readonly kind: 'uprobe';
      readonly path: string;
      readonly symbol: string;
      /** File offset of the probed instruction. */
      readonly offset: bigint;
      /** Virtual address of the symbol in the ELF file. */
      readonly vaddr: bigint;
      readonly name: string;
      /** Chosen once, when the probe is resolved. */
      readonly mechanism: UserProbeMechanism;
      /**
       * `symbol` is an IFUNC, probed at the implementation it resolves to on this host
       * (`offset` and `vaddr` are the implementation's): its resolver's vaddr, and the
       * implementation's name (from the symbol tables, else its address).
       */
      readonly ifunc?: { readonly resolver: bigint; readonly implementation: string };
    }
  | {
      readonly kind: 'usdt';
      readonly path: string;
      readonly provider: string;
      readonly probe: string;
      readonly name: string;
      readonly sites: readonly { readonly offset: bigint; readonly semaphoreOffset?: bigint }[];
      /** Chosen once, when the probe is resolved. */
      readonly mechanism: UserProbeMechanism;
    }
  | {
      readonly kind: 'kfunc';
      readonly symbol: string;
      readonly name: string;
      /** Chosen once, when the probe is resolved: it decides what the program sees. */
      readonly mechanism: KernelFunctionMechanism;
    };

export type ProbeTargetKind = ProbeTarget['kind'];

/** The library of a target as JSON and Prometheus label it: its path as the process names it, or "kernel". */
export function targetLibrary(t: ProbeTarget): string {
  // With -p, paths are opened through /proc/PID/root.
  return t.kind === 'uprobe' || t.kind === 'usdt' ? t.path.replace(/^\/proc\/\d+\/root(?=\/)/, '') : 'kernel';
}
