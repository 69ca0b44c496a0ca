/**
 * Raw tracepoints: a program of type BPF_PROG_TYPE_RAW_TRACEPOINT opened on a tracepoint by
 * name with BPF_RAW_TRACEPOINT_OPEN (4.17+). The program sees the tracepoint's arguments as
 * u64 args[] (sched_switch: preempt, prev, next, prev_state; sys_enter: regs, id). It is called
 * straight from the tracepoint: no record is built, and attaching or detaching takes
 * milliseconds, where closing a perf-event tracepoint waits for an RCU grace period (tens of
 * ms each, more on syscall tracepoints, which are faultable since 6.13).
 *
 *   const link = attachRawTracepoint(prog, 'sched_switch');
 *
 * The result is a bpf_link fd: closing it (or exiting) detaches. Not every tracefs event is a
 * tracepoint of that name (syscalls:* are built on sys_enter/sys_exit, ftrace's and dynamic
 * events are none): opening a name the kernel does not have fails with ENOENT
 * (`isMissingRawTracepoint`), and the caller may fall back to a perf event.
 */
import { rawTracepointOpen } from '../sys/bpf.js';
import { close } from '../sys/ffi.js';
import { ENOENT } from '../sys/errno.js';
import { SysError } from '../errors.js';
import { FdLink, type Link } from './link.js';
import type { LoadedProgram } from '../kernel/program.js';

export function attachRawTracepoint(prog: LoadedProgram, name: string): Link {
  const fd = rawTracepointOpen(prog.fd.value, name);
  return new FdLink(`raw_tracepoint:${name}`, [() => close(fd)]);
}

/** The kernel has no raw tracepoint of the name that was opened. */
export function isMissingRawTracepoint(e: unknown): boolean {
  return e instanceof SysError && e.errno === ENOENT;
}
