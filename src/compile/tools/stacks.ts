/**
 * The program shape of stackcount: count events by the stacks they happen on.
 *
 * Key `{ u32 tgid; s32 kernel_stack_id; s32 user_stack_id; char comm[16] }` (28 bytes, BCC's
 * `struct key_t`), counted atomically in the `counts` hash. Stack ids come from
 * `bpf_get_stackid` into the `stack_traces` STACK_TRACE map: flags 0 for the kernel stack,
 * BPF_F_USER_STACK for the user stack; -1 for a side that is not collected.
 *
 * Unlike BCC the tgid is kept whenever user stacks are collected (user frames need the process
 * to be symbolised); the tool merges processes unless -P. Kernel stacks only without -P or -p
 * store 0xffffffff, as BCC does, and skip the helper call. comm is recorded only with -P.
 *
 * A negative stack id other than -EFAULT (the side has no stack: a kernel thread has no user
 * stack, a uprobe no kernel stack) means the stack was lost (-EEXIST: the hash bucket holds
 * another stack; -ENOMEM: the map is full). Those are counted in the per-CPU `lost` array so
 * the tool can report them (slot LOST_STACKS). An event whose new key the full `counts` hash
 * refuses is counted in slot DROPPED_COUNTS.
 *
 * Exact intervals: the counts are double-buffered, as argdist's (compile/tools/argdist.ts).
 * There are two counts hashes, `counts` and `counts_b`, and the one-slot array `sc_active`
 * says which one the programs count in; a program reads it once, directly (a map value
 * address, no helper call), and has one copy of the count sequence per hash so that each
 * lookup's call site has one constant map (the verifier inlines the hash lookup). At the end
 * of an interval user space flips `sc_active`, waits for every program that may have read the
 * old value (kernel/barrier.ts: one RCU grace period), then drains the idle hash, which
 * nothing writes any more: no increment falls between the read and the delete. The stack map
 * is shared by both hashes.
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { emitHashCount } from './hash-count.js';
import { alu64, atomic, jmp, ldx, stx, st, call, exit, ldMapFd, ldMapValue, R0, R1, R2, R3, R6, R7, FP, type MapRef } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';
import { emitCountSlot } from '../counter.js';
import { emitSyscallSlot, type SlotSource } from './count.js';

export const BPF_F_USER_STACK = 1 << 8;
/** PERF_MAX_STACK_DEPTH (the kernel.perf_event_max_stack default). */
export const MAX_STACK_DEPTH = 127;
export const STACK_KEY_SIZE = 28;
const EFAULT = 14;
/** Slots of the per-CPU `lost` array. */
export const LOST_STACKS = 0;
export const DROPPED_COUNTS = 1;

export interface StackMaps {
  /** The first counts hash, and the second of the double-buffered pair. */
  readonly counts: MapSpec;
  readonly countsB: MapSpec;
  /** Which counts hash the programs count in: u32 0 (`counts`) or 1 (`counts_b`), slot 0. */
  readonly active: MapSpec;
  readonly stacks: MapSpec;
  readonly lost: MapSpec;
}

export function stackMaps(o: { stackEntries?: number; countEntries?: number } = {}): StackMaps {
  return {
    counts: { name: 'counts', type: MapType.Hash, keySize: STACK_KEY_SIZE, valueSize: 8, maxEntries: o.countEntries ?? 10240 },
    countsB: { name: 'counts_b', type: MapType.Hash, keySize: STACK_KEY_SIZE, valueSize: 8, maxEntries: o.countEntries ?? 10240 },
    active: { name: 'sc_active', type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 },
    stacks: { name: 'stack_traces', type: MapType.StackTrace, keySize: 4, valueSize: 8 * MAX_STACK_DEPTH, maxEntries: o.stackEntries ?? 8192 },
    lost: { name: 'lost', type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: 2 },
  };
}

export interface StackProgramOptions {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly maps: StackMaps;
  /**
   * Counting syscalls:* events at raw sys_enter/sys_exit: only the syscalls of the table count
   * (the stack is the key, not the slot). Any other slot source needs no check.
   */
  readonly slot?: SlotSource;
  readonly kernelStack: boolean;
  readonly userStack: boolean;
  /** Record comm (-P). */
  readonly comm: boolean;
  /** Which tasks' events count. */
  readonly filter: TaskFilter;
}

function stackId(b: ProgramBuilder, stacks: MapRef, lost: MapRef, flags: number, slot: number, lostKey: number, what: string): void {
  const ok = b.newLabel('stack_ok');
  b.emit(
    alu64.mov.reg(R1, R6),
    ldMapFd(R2, stacks),
    alu64.mov.imm(R3, flags),
    call(Helper.GetStackid),
    stx('W', FP, slot, R0, `${what} stack id`),
    jmp.jsge.imm(R0, 0, ok),
    jmp.jeq.imm(R0, -EFAULT, ok, 'no stack on this side'),
  );
  emitCountSlot(b, lost, LOST_STACKS, lostKey, ok, 'lost++ (per-CPU: lost stacks)');
  b.bind(ok);
}

export function stackProgram(o: StackProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const counts = b.map(o.maps.counts);
  const countsB = b.map(o.maps.countsB);
  const active = b.map(o.maps.active);
  const stacks = b.map(o.maps.stacks);
  const lost = b.map(o.maps.lost);
  const out = b.newLabel('out');
  const key = b.stackAlloc(32);
  const scratch = b.stackAlloc(8);
  b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  // The tgid only when something needs it: -p, -P, or user frames (symbolised per process).
  const needTgid = o.filter.pid !== undefined || o.comm || o.userStack;
  emitTaskFilter(b, o.filter, out, needTgid ? { pidTgid: R7 } : {});
  if (o.slot?.kind === 'syscall') emitSyscallSlot(b, o.slot, R6, scratch, out);
  if (needTgid) b.emit(alu64.rsh.imm(R7, 32, 'tgid'));
  for (let off = 0; off < 32; off += 8) b.emit(st('DW', FP, key + off, 0));
  if (needTgid) b.emit(stx('W', FP, key, R7, 'key.tgid'));
  else b.emit(st('W', FP, key, -1, 'key.tgid = 0xffffffff (not needed: as BCC without -P)'));
  if (o.kernelStack) stackId(b, stacks, lost, 0, key + 4, scratch, 'kernel');
  else b.emit(st('W', FP, key + 4, -1, 'no kernel stack'));
  if (o.userStack) stackId(b, stacks, lost, BPF_F_USER_STACK, key + 8, scratch, 'user');
  else b.emit(st('W', FP, key + 8, -1, 'no user stack'));
  if (o.comm) {
    b.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, key + 12), alu64.mov.imm(R2, 16), call(Helper.GetCurrentComm));
  }
  const add = b.newLabel('add');
  const full = b.newLabel('full');
  // R7 (the tgid is stored in the key by now) = sc_active[0], read once, so this event's
  // lookups and insert all go to the same hash, and directly: no helper call.
  b.emit(ldMapValue(R1, active, 0, '&sc_active[0]'), ldx('W', R7, R1, 0, 'active counts hash'));
  emitHashCount(b, {
    hashes: [counts, countsB],
    key,
    scratch,
    add,
    out,
    full,
    selectorComment: 'sc_active: the second hash',
  });
  // Neither there nor insertable: the hash is full.
  b.bind(full);
  emitCountSlot(b, lost, DROPPED_COUNTS, scratch, out, 'lost++ (per-CPU: counts map full: dropped)');
  b.emit(jmp.ja(out));
  b.bind(add);
  b.emit(alu64.mov.imm(R1, 1), atomic.add('DW', R0, 0, R1, 'counts[key]++'));
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}

export interface StackKey {
  readonly tgid: number;
  readonly kernelId: number;
  readonly userId: number;
  readonly comm: string;
}

/** Decodes a `counts` key. comm stops at the first NUL; bytes are read as latin1-safe UTF-8. */
export function decodeStackKey(k: Uint8Array): StackKey {
  const dv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  const name = k.subarray(12, 28);
  const nul = name.indexOf(0);
  return {
    tgid: dv.getUint32(0, true),
    kernelId: dv.getInt32(4, true),
    userId: dv.getInt32(8, true),
    comm: Buffer.from(nul < 0 ? name : name.subarray(0, nul)).toString('utf8'),
  };
}

/**
 * `decodeStackKey` without the comm (no string made), of the key at byte `at` of `dv`: what
 * naming the stacks needs, read straight from a chunk of keys.
 */
export function stackIdsAt(dv: DataView, at = 0): Omit<StackKey, 'comm'> {
  return { tgid: dv.getUint32(at, true), kernelId: dv.getInt32(at + 4, true), userId: dv.getInt32(at + 8, true) };
}

/** The instruction pointers of a STACK_TRACE value, leaf first (stops at the first 0). */
export function decodeStackTrace(v: Uint8Array): bigint[] {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out: bigint[] = [];
  for (let off = 0; off + 8 <= v.byteLength; off += 8) {
    const ip = dv.getBigUint64(off, true);
    if (ip === 0n) break;
    out.push(ip);
  }
  return out;
}
