/**
 * The program shape of funccount: count one event into a counter slot.
 *
 * All counters live in the value of a single-element array map (u64 counts[N]), which the
 * program addresses directly with a BPF_PSEUDO_MAP_VALUE load (direct value access needs
 * max_entries == 1, kernel/bpf/arraymap.c array_map_direct_value_addr): no helper call, just
 * an atomic add. That makes the counting program about as cheap as an empty one at the hook.
 *
 * The slot is a constant baked into one program per target, or comes from the attachment's
 * bpf_cookie where one program serves many targets (wildcards: one load instead of hundreds,
 * at the price of one helper call per event), or, for syscalls:* events counted at the raw
 * sys_enter/sys_exit tracepoint, from a table indexed by the syscall's number (one program
 * for every syscall of the command line; see SyscallSlots).
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu64, jmp, call, exit, ldx, ldMapValue, atomic, R0, R1, R2, R3, R6, R8, R9, FP, type Label, type Reg } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';

export type SlotSource = { readonly kind: 'cookie' } | { readonly kind: 'const'; readonly slot: number } | SyscallSlots;

/**
 * The slot of a syscall at the raw sys_enter or sys_exit tracepoint: `table` is one array
 * element holding u32 slots[N], slots[nr] = slot + 1 for a counted syscall and 0 for the rest
 * (read directly from the map value: no helper call). The syscalls:* events the kernel builds
 * on these tracepoints leave out numbers past its table and compat (32-bit) syscalls; so does
 * the program.
 */
export interface SyscallSlots {
  readonly kind: 'syscall';
  readonly table: MapSpec;
  readonly nr: SyscallNr;
  /** Where a compat syscall shows; undefined where there are none (no compat support). */
  readonly compat?: CompatFlag;
}

/** Where a raw sys_enter/sys_exit program finds the syscall's number. */
export type SyscallNr =
  /** sys_enter(struct pt_regs *regs, long id): args[1]. */
  | { readonly from: 'arg1' }
  /** sys_exit(struct pt_regs *regs, long ret): the saved registers' orig_ax (x86-64), syscallno (arm64). */
  | { readonly from: 'regs'; readonly offset: number; readonly size: 4 | 8 };

/**
 * A flag that marks a compat syscall: `size` bytes at `offset` in the current task (x86-64:
 * thread_info.status & TS_COMPAT) or in the saved registers (arm64: pstate & PSR_MODE32_BIT),
 * tested with `mask`. The task is read directly through bpf_get_current_task_btf where the
 * kernel offers it to these programs ('task_btf', 5.11+: the verifier checks the offset against
 * the kernel's BTF), else with bpf_probe_read_kernel ('task').
 */
export interface CompatFlag {
  readonly base: 'task_btf' | 'task' | 'regs';
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly mask: number;
}

/** u32 slots[entries] in the value of a one-element array. */
export function syscallSlotsMapSpec(name: string, entries: number): MapSpec {
  return { name, type: MapType.Array, keySize: 4, valueSize: 4 * Math.max(entries, 1), maxEntries: 1 };
}

/** The value of a syscall table: slots[nr] = slot + 1. */
export function encodeSyscallSlots(spec: MapSpec, slots: ReadonlyMap<number, number>): Uint8Array {
  const v = new Uint8Array(spec.valueSize);
  const dv = new DataView(v.buffer);
  for (const [nr, slot] of slots) {
    if (4 * nr + 4 > v.byteLength) throw new RangeError(`syscall ${nr} is past the table's ${v.byteLength / 4} entries`);
    dv.setUint32(4 * nr, slot + 1, true);
  }
  return v;
}

/**
 * The syscall of this event: jumps to `out` for a syscall that is not counted (or compat),
 * else leaves its slot in R0. `ctx` holds the context (u64 args[]); clobbers R1–R5, R8 and R9
 * and the 8-byte stack slot `scratch` (reads of kernel memory land there).
 */
export function emitSyscallSlot(b: ProgramBuilder, src: SyscallSlots, ctx: Reg, scratch: number, out: Label): void {
  const table = b.map(src.table);
  const entries = src.table.valueSize / 4;
  const readKernel = (size: number, base: Reg, offset: number, what: string) =>
    b.emit(
      alu64.mov.reg(R1, FP),
      alu64.add.imm(R1, scratch),
      alu64.mov.imm(R2, size),
      alu64.mov.reg(R3, base),
      alu64.add.imm(R3, offset),
      call(Helper.ProbeReadKernel, what),
    );
  if (src.nr.from === 'arg1') {
    b.emit(ldx('DW', R8, ctx, 8, 'nr = args[1] (sys_enter: regs, id)'));
  } else {
    b.emit(ldx('DW', R9, ctx, 0, 'regs = args[0] (sys_exit: regs, ret)'));
    readKernel(src.nr.size, R9, src.nr.offset, 'the number the syscall was entered with');
    b.emit(jmp.jne.imm(R0, 0, out), ldx(src.nr.size, R8, FP, scratch, 'nr'));
  }
  b.emit(
    jmp.jge.imm(R8, entries, out, `nr < ${entries} (unsigned: -1 and x32 numbers are out)`),
    alu64.lsh.imm(R8, 2),
    ldMapValue(R1, table, 0, `&${src.table.name}[0]`),
    alu64.add.reg(R1, R8),
    ldx('W', R8, R1, 0, 'slot + 1'),
    jmp.jeq.imm(R8, 0, out, 'not counted'),
  );
  const c = src.compat;
  if (c?.base === 'task_btf') {
    b.emit(
      call(Helper.GetCurrentTaskBtf),
      ldx(c.size, R1, R0, c.offset, "the task's compat flag"),
      jmp.jset.imm(R1, c.mask, out, 'a compat syscall: no syscalls:* event'),
    );
  } else if (c) {
    if (c.base === 'task') b.emit(call(Helper.GetCurrentTask), alu64.mov.reg(R9, R0));
    else if (src.nr.from === 'arg1') b.emit(ldx('DW', R9, ctx, 0, 'regs = args[0]'));
    readKernel(c.size, R9, c.offset, c.base === 'task' ? "the task's compat flag" : 'the saved mode');
    const native = b.newLabel('native');
    b.emit(jmp.jne.imm(R0, 0, native), ldx(c.size, R1, FP, scratch), jmp.jset.imm(R1, c.mask, out, 'a compat syscall: no syscalls:* event'));
    b.bind(native);
  }
  b.emit(alu64.mov.reg(R0, R8), alu64.sub.imm(R0, 1, 'slot'));
}

export interface CountProgramOptions {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly counts: MapSpec;
  readonly slot: SlotSource;
  /** Which tasks' events count. */
  readonly filter: TaskFilter;
}

/** u64 counts[slots] in the value of a one-element array. */
export function countsMapSpec(slots: number): MapSpec {
  return { name: 'counts', type: MapType.Array, keySize: 4, valueSize: 8 * Math.max(slots, 1), maxEntries: 1 };
}

export function countSlots(spec: MapSpec): number {
  return spec.valueSize / 8;
}

/** Decode the counters from the map's single value. */
export function decodeCounts(value: Uint8Array): bigint[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: bigint[] = [];
  for (let off = 0; off + 8 <= value.byteLength; off += 8) out.push(dv.getBigUint64(off, true));
  return out;
}

export function countProgram(o: CountProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const counts = b.map(o.counts);
  const out = b.newLabel('out');
  const slots = countSlots(o.counts);
  if (o.slot.kind !== 'const') b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  emitTaskFilter(b, o.filter, out);
  if (o.slot.kind !== 'const') {
    if (o.slot.kind === 'cookie') b.emit(alu64.mov.reg(R1, R6), call(Helper.GetAttachCookie, 'slot = cookie'));
    else emitSyscallSlot(b, o.slot, R6, b.stackAlloc(8), out);
    b.emit(
      jmp.jge.imm(R0, slots, out, 'slot < slots (for the verifier)'),
      alu64.lsh.imm(R0, 3),
      ldMapValue(R1, counts, 0, '&counts[0]'),
      alu64.add.reg(R1, R0),
    );
  } else {
    b.emit(ldMapValue(R1, counts, 8 * o.slot.slot, `&counts[${o.slot.slot}]`));
  }
  b.emit(alu64.mov.imm(R2, 1), atomic.add('DW', R1, 0, R2, 'counts[slot]++'));
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}
