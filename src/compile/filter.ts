/**
 * The one filter prologue of every program: which tasks' events count. Every tool builds it
 * from the same options, in the same order (cheapest first), with one pid policy: `-p` is
 * checked in the program for every probe kind, uprobes included. A uprobe attached for one
 * process is filtered by the kernel by address space, so the check costs a helper call there,
 * but it keeps threads created with CLONE_VM and every mechanism (perf event, uprobe_multi's
 * pid filter, which changed meaning in 6.x) to one answer.
 */
import type { ProgramBuilder } from '../emit/builder.js';
import { alu32, alu64, jmp, call, ldMapFd, R0, R1, R2, type Label, type Reg } from '../emit/asm.js';
import { Helper } from '../emit/helpers.gen.js';
import { MapType, type MapSpec } from '../emit/types.js';

export interface TaskFilter {
  /** -p: this process (tgid) only. */
  readonly pid?: number;
  /** -L/-t: this thread only. */
  readonly tid?: number;
  /** trace without -S: not the tracer itself. */
  readonly excludePid?: number;
  /** --uid */
  readonly uid?: number;
  /** -c CPU (funccount, stackcount) */
  readonly cpu?: number;
  /** -c CGROUP (trace, funclatency): a one-slot cgroup array holding the cgroup's fd. */
  readonly cgroup?: MapSpec;
}

/** The one-slot cgroup array of `-c CGROUP`. */
export const CGROUP_MAP: MapSpec = { name: 'cgroup', type: MapType.CgroupArray, keySize: 4, valueSize: 4, maxEntries: 1 };

/**
 * Emits the filters, jumping to `out` for an event that is not ours. Clobbers R0–R5 (save
 * ctx first). With `pidTgid`, bpf_get_current_pid_tgid() is left in that callee-saved
 * register (R6–R9) for the program's own use, whatever the filters need.
 */
export function emitTaskFilter(b: ProgramBuilder, f: TaskFilter, out: Label, o: { pidTgid?: Reg } = {}): void {
  if (f.cpu !== undefined) b.emit(call(Helper.GetSmpProcessorId), jmp.jne.imm(R0, f.cpu, out, `-c ${f.cpu}`));
  const byTask = f.pid !== undefined || f.tid !== undefined || f.excludePid !== undefined;
  if (byTask || o.pidTgid !== undefined) {
    b.emit(call(Helper.GetCurrentPidTgid));
    if (o.pidTgid !== undefined) b.emit(alu64.mov.reg(o.pidTgid, R0, 'pid_tgid'));
    if (f.tid !== undefined) b.emit(alu32.mov.reg(R1, R0), jmp.jne.imm(R1, f.tid, out, `tid ${f.tid}`));
    if (f.pid !== undefined || f.excludePid !== undefined) {
      b.emit(alu64.rsh.imm(R0, 32));
      if (f.pid !== undefined) b.emit(jmp.jne.imm(R0, f.pid, out, `-p ${f.pid}`));
      if (f.excludePid !== undefined) b.emit(jmp.jeq.imm(R0, f.excludePid, out, 'not the tracer itself (-S)'));
    }
  }
  if (f.uid !== undefined) {
    b.emit(call(Helper.GetCurrentUidGid), alu32.mov.reg(R0, R0), jmp.jne.imm(R0, f.uid, out, `--uid ${f.uid}`));
  }
  if (f.cgroup) {
    const cg = b.map(f.cgroup);
    b.emit(ldMapFd(R1, cg), alu64.mov.imm(R2, 0), call(Helper.CurrentTaskUnderCgroup), jmp.jne.imm(R0, 1, out, '-c CGROUP'));
  }
}
