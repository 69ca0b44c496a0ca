/**
 * System call numbers and the tracefs events named after them. The kernel builds every
 * syscalls:sys_enter_NAME and syscalls:sys_exit_NAME event on the two raw tracepoints
 * `sys_enter(regs, id)` and `sys_exit(regs, ret)`; a program there tells the syscalls apart by
 * number, which this module gives for an event (tables generated from the uapi headers by
 * scripts/gen-syscalls.mjs).
 */
import { SYSCALL_TABLES } from './syscalls.gen.js';

export type SyscallArch = keyof typeof SYSCALL_TABLES;

/** The raw tracepoint a syscalls:* event is built on. */
export type SyscallFamily = 'sys_enter' | 'sys_exit';

/** The table of the machine we run on (its kernel's syscall ABI is the one Node was built for). */
export function hostSyscallArch(): SyscallArch {
  return process.arch === 'arm64' ? 'arm64' : 'x64';
}

/**
 * What SYSCALL_DEFINE calls a system call's entry point, by architecture: since Linux 4.17
 * (x86-64; 4.19 on arm64) the function the syscall table calls is an arch wrapper,
 * `<prefix>NAME(struct pt_regs *regs)`, which reads the arguments from the saved registers;
 * `sys_NAME` (and the `SyS_NAME` alias older kernels had) no longer exist. `compat` is the
 * wrapper for 32-bit callers. One row per architecture.
 */
export const SYSCALL_WRAPPERS: Readonly<Record<SyscallArch, { readonly prefix: string; readonly compat: string }>> = {
  x64: { prefix: '__x64_sys_', compat: '__ia32_sys_' },
  arm64: { prefix: '__arm64_sys_', compat: '__arm64_compat_sys_' },
};

/** Every architecture's wrapper prefix, this machine's first. */
export function syscallWrapperPrefixes(arch: SyscallArch = hostSyscallArch()): string[] {
  const rows = Object.keys(SYSCALL_WRAPPERS) as SyscallArch[];
  return [arch, ...rows.filter((a) => a !== arch)].map((a) => SYSCALL_WRAPPERS[a].prefix);
}

/**
 * Functions that take the caller's `struct pt_regs *` and read the system call's arguments
 * from it (every row's wrappers, native and compat), as a pattern of their names' start.
 */
export const SYSCALL_WRAPPER_RE = new RegExp(
  `^(?:${Object.values(SYSCALL_WRAPPERS)
    .flatMap((w) => [w.prefix, w.compat])
    .join('|')})`,
);

const tables = new Map<SyscallArch, ReadonlyMap<string, number>>();

/** Entry-point name (`getpid`, `newfstat`) → number. */
export function syscallNumbers(arch: SyscallArch = hostSyscallArch()): ReadonlyMap<string, number> {
  let t = tables.get(arch);
  if (!t) tables.set(arch, (t = new Map(SYSCALL_TABLES[arch])));
  return t;
}

/** syscalls:sys_enter_NAME / sys_exit_NAME: its family and syscall name; undefined for any other event. */
export function syscallEvent(category: string, event: string): { family: SyscallFamily; name: string } | undefined {
  if (category !== 'syscalls') return undefined;
  const m = /^(sys_enter|sys_exit)_(.+)$/.exec(event);
  return m ? { family: m[1] as SyscallFamily, name: m[2]! } : undefined;
}
