/**
 * BCC's legacy syscall names. Its examples probe `sys_read`, `SyS_read`, `sys_setsockopt(int
 * fd, …)`: until Linux 4.17 those were the functions the syscall table called. Since then
 * (x86-64; 4.19 arm64) that function is an arch wrapper, `__x64_sys_read(struct pt_regs *)`
 * (`SYSCALL_WRAPPERS` in symbols/syscalls.ts: one row per architecture), and `sys_read` is
 * gone. Where the name as written is not traceable, it means the wrapper: the compiler
 * already reads a wrapper's arguments through its `pt_regs` (`argLocation` in
 * compile/context.ts), so a declared signature, `argN` and BTF's names all work there.
 *
 * Exact names map only when the plain name is missing. A glob (`sys_read*`, funccount's
 * `sys_*`) matches the plain names it matches anyway and the wrappers of the same pattern:
 * on a modern kernel the plain pattern alone matches next to nothing. `-r` regexes are not
 * rewritten (a regex is the user's exact word).
 */
import { syscallWrapperPrefixes } from '../symbols/syscalls.js';
import type { ProbeHost } from './host.js';

/** `sys_read` / `SyS_read` → `read` (also for globs: `sys_read*` → `read*`); undefined otherwise. */
export function legacySyscallRest(name: string): string | undefined {
  return /^(?:sys|SyS)_(.+)$/.exec(name)?.[1];
}

export interface LegacyMatch {
  /** The wrapper pattern that matched (`__x64_sys_read`, `__x64_sys_read*`). */
  readonly pattern: string;
  readonly names: readonly string[];
}

/**
 * The running kernel's wrappers for a legacy name: each architecture's prefix is tried (this
 * machine's first; a kernel has only its own), and the first that names functions answers.
 */
export function legacyWrappers(rest: string, lookup: (name: string) => string[]): LegacyMatch | undefined {
  for (const prefix of syscallWrapperPrefixes()) {
    const names = lookup(prefix + rest);
    if (names.length) return { pattern: prefix + rest, names };
  }
  return undefined;
}

/** The note said once when a legacy name resolved to wrappers. */
export function legacyNote(written: string, m: LegacyMatch, wildcard: boolean): string {
  if (!wildcard) return `${written} is ${m.pattern} on this kernel (system calls are entered through arch wrappers since Linux 4.17); probing ${m.pattern}`;
  const n = m.names.length;
  return `${written} also matches ${m.pattern} on this kernel (system calls are entered through arch wrappers since Linux 4.17): ${n} wrapper${n === 1 ? '' : 's'}`;
}

/**
 * Hints for a legacy name that names nothing, as the wrapper either: the wrapper's name on
 * this kernel, and the system call's tracepoint (when tracefs has it).
 */
export function legacyHints(rest: string, host: ProbeHost): string[] {
  const prefix = syscallWrapperPrefixes()[0]!;
  const hints = [`system calls are probed as ${prefix}NAME on kernels since 4.17, and this kernel has no ${prefix}${rest}`];
  const plain = /^[A-Za-z0-9_]+$/.test(rest);
  let tracepoint = false;
  try {
    tracepoint = plain && host.hasTracepoint('syscalls', `sys_enter_${rest}`);
  } catch {
    tracepoint = false; // no tracefs: the generic hint
  }
  hints.push(
    tracepoint
      ? `or trace the system call's tracepoint t:syscalls:sys_enter_${rest}`
      : `a system call's entry is also the tracepoint t:syscalls:sys_enter_NAME ('polytrace list t:syscalls:sys_enter_*' lists them)`,
  );
  return hints;
}
