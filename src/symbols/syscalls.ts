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
