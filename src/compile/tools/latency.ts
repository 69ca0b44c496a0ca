/**
 * The program shapes of funclatency: an entry program that stores `bpf_ktime_get_ns()` per
 * thread, and a return program that takes the delta, adds it to the average totals, scales it
 * by the unit and counts it in a log2 histogram.
 *
 * Maps (shared by name between the two programs):
 *  - `start`: hash, key u32 tid. Value u64 entry time; or, with nesting (`-l LEVEL`), a
 *    per-thread stack `{ u64 depth; u64 ts[LEVEL] }` so recursive and nested calls each get
 *    their own time. Calls deeper than LEVEL are counted in `depth` but not measured, so the
 *    returns stay paired with their entries.
 *  - `avg`: per-CPU array of one `{ u64 total_ns; u64 count }` (no atomics needed: tracing
 *    programs do not nest on one CPU).
 *  - `hist`: hash, key `{ u32 fslot; u32 tgid; u32 bucket; u32 pad }` → u64, incremented
 *    atomically. `fslot` is the function's target index (from the bpf cookie or a constant)
 *    and `tgid` the process, when the histogram is sectioned; both 0 otherwise.
 *
 * The log2 bucket is BCC's `bpf_log2l`: an unrolled binary search, no loops (see log2Slot in
 * output/log2hist.ts for the same function in TypeScript).
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu64, atomic, jmp, ldx, stx, st, call, exit, R0, R1, R2, R6, R7, R8, R9, FP, type Reg, type Insn, type Label, type MapRef } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import type { SlotSource } from './count.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';
import { mapDelete, mapLookup, mapUpdate, NOEXIST } from '../map-calls.js';
import { TracerError } from '../../errors.js';

/** The largest `-l LEVEL`: the zeroed stack value must fit the 512-byte BPF stack. */
export const MAX_LEVEL = 32;
export const HIST_KEY_SIZE = 16;
/** BCC's BPF_HASH default size. */
const HASH_ENTRIES = 10240;
/** Section tgid of kernel functions (BCC prints no `[pid]` for them). */
export const KERNEL_TGID = 0xffffffff;

export type LatencyUnit = 'nsecs' | 'usecs' | 'msecs';

export const UNIT_DIVISOR: Readonly<Record<LatencyUnit, number>> = { nsecs: 1, usecs: 1000, msecs: 1_000_000 };

export interface LatencyMaps {
  readonly start: MapSpec;
  readonly avg: MapSpec;
  readonly hist: MapSpec;
}

export function latencyMaps(o: { level?: number }): LatencyMaps {
  const level = o.level ?? 0;
  return {
    start: { name: 'start', type: MapType.Hash, keySize: 4, valueSize: level > 1 ? 8 + 8 * level : 8, maxEntries: HASH_ENTRIES },
    avg: { name: 'avg', type: MapType.PercpuArray, keySize: 4, valueSize: 16, maxEntries: 1 },
    hist: { name: 'hist', type: MapType.Hash, keySize: HIST_KEY_SIZE, valueSize: 8, maxEntries: HASH_ENTRIES },
  };
}

interface LatencyCommon {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly maps: LatencyMaps;
  /** Nesting depth (`-l`); values ≤ 1 keep one timestamp per thread, as BCC does. */
  readonly level?: number;
}

export interface LatencyEntryOptions extends LatencyCommon {
  /** Which tasks are timed (the return program times what the entry stashed). */
  readonly filter: TaskFilter;
}

export interface LatencyReturnOptions extends LatencyCommon {
  readonly unit: LatencyUnit;
  /** Sectioned histogram: key by function slot (and by process for user functions). */
  readonly keyed: boolean;
  /** Where the function slot comes from (only read when keyed). */
  readonly slot: SlotSource;
  /** User functions key sections by tgid; kernel functions by {@link KERNEL_TGID}. */
  readonly perProcess: boolean;
}

function nested(level: number | undefined): level is number {
  return level !== undefined && level > 1;
}

function checkLevel(level: number | undefined): void {
  if (level !== undefined && (!Number.isInteger(level) || level < 1 || level > MAX_LEVEL)) {
    throw new RangeError(`level must be between 1 and ${MAX_LEVEL}, got ${level}`);
  }
}

/**
 * `dst = bpf_log2l(src)` (src is clobbered, `tmp` is scratch): after halving `src` while it
 * has bits above 32, 16, 8, 4, 2 and 1, the number of shifts plus one is the bit length (and
 * 1 for 0), which is BCC's slot.
 */
export function log2Insns(b: ProgramBuilder, dst: Reg, src: Reg, tmp: Reg): void {
  b.emit(alu64.mov.imm(dst, 1, 'slot = bpf_log2l(v)'));
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    const skip = b.newLabel(`log2_${shift}`);
    b.emit(alu64.mov.reg(tmp, src), alu64.rsh.imm(tmp, shift), jmp.jeq.imm(tmp, 0, skip), alu64.mov.reg(src, tmp), alu64.add.imm(dst, shift));
    b.bind(skip);
  }
}

/**
 * `R0 = &map[key]`, creating the entry first when the key is new (BCC's
 * `lookup_or_try_init`): `init` writes its first value at FP + `value`, which is inserted with
 * BPF_NOEXIST (another CPU may have been first) before the second lookup. Binds `found` after
 * the sequence, where R0 points at the value; no entry even then (the hash is full) goes to
 * `missing`.
 */
function emitLookupOrInit(b: ProgramBuilder, map: MapRef, key: number, value: number, init: readonly Insn[], found: Label, missing: Label): void {
  b.emit(
    ...mapLookup(map, key),
    jmp.jne.imm(R0, 0, found),
    ...init,
    ...mapUpdate(map, key, value, NOEXIST),
    ...mapLookup(map, key),
    jmp.jeq.imm(R0, 0, missing),
  );
  b.bind(found);
}

export function latencyEntryProgram(o: LatencyEntryOptions): ProgramSpec {
  checkLevel(o.level);
  const b = new ProgramBuilder(o.name, o.progType);
  const start = b.map(o.maps.start);
  const out = b.newLabel('out');
  const key = b.stackAlloc(8);
  b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  emitTaskFilter(b, o.filter, out, { pidTgid: R7 });
  b.emit(stx('W', FP, key, R7, 'key = tid'));
  if (!nested(o.level)) {
    const ts = b.stackAlloc(8);
    b.emit(call(Helper.KtimeGetNs), stx('DW', FP, ts, R0, 'start[tid] = ktime'), ...mapUpdate(start, key, ts, 0));
  } else {
    const level = o.level;
    const have = b.newLabel('have');
    const zero = b.stackAlloc(8 + 8 * level);
    const empty: Insn[] = [];
    for (let off = 0; off < 8 + 8 * level; off += 8)
      empty.push(st('DW', FP, zero + off, 0, off === 0 ? 'first call of this thread: an empty stack' : undefined));
    emitLookupOrInit(b, start, key, zero, empty, have, out);
    b.emit(
      alu64.mov.reg(R8, R0),
      ldx('DW', R1, R8, 0, 'depth'),
      alu64.mov.reg(R2, R1),
      alu64.add.imm(R2, 1),
      stx('DW', R8, 0, R2, 'depth++'),
      jmp.jge.imm(R1, level, out, `deeper than ${level}: counted, not timed`),
      alu64.lsh.imm(R1, 3),
      alu64.add.reg(R8, R1),
      call(Helper.KtimeGetNs),
      stx('DW', R8, 8, R0, 'ts[depth] = ktime'),
    );
  }
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}

export function latencyReturnProgram(o: LatencyReturnOptions): ProgramSpec {
  checkLevel(o.level);
  const b = new ProgramBuilder(o.name, o.progType);
  const start = b.map(o.maps.start);
  const avg = b.map(o.maps.avg);
  const hist = b.map(o.maps.hist);
  const out = b.newLabel('out');
  const key = b.stackAlloc(8);
  const hkey = b.stackAlloc(HIST_KEY_SIZE);
  const one = b.stackAlloc(8);
  b.emit(
    alu64.mov.reg(R6, R1, 'save ctx'),
    call(Helper.GetCurrentPidTgid),
    alu64.mov.reg(R7, R0),
    stx('W', FP, key, R7, 'key = tid'),
    ...mapLookup(start, key),
    jmp.jeq.imm(R0, 0, out, 'missed start'),
  );
  if (!nested(o.level)) {
    b.emit(ldx('DW', R8, R0, 0, 'ts'), call(Helper.KtimeGetNs), alu64.sub.reg(R0, R8), alu64.mov.reg(R8, R0, 'delta'), ...mapDelete(start, key));
  } else {
    b.emit(
      alu64.mov.reg(R9, R0),
      ldx('DW', R1, R9, 0, 'depth'),
      jmp.jeq.imm(R1, 0, out, 'missed start'),
      alu64.sub.imm(R1, 1),
      stx('DW', R9, 0, R1, 'depth--'),
      jmp.jge.imm(R1, o.level, out, 'was not timed'),
      alu64.lsh.imm(R1, 3),
      alu64.add.reg(R9, R1),
      ldx('DW', R8, R9, 8, 'ts[depth]'),
      call(Helper.KtimeGetNs),
      alu64.sub.reg(R0, R8),
      alu64.mov.reg(R8, R0, 'delta'),
    );
  }
  // Average totals, in nanoseconds before scaling (as BCC).
  const noAvg = b.newLabel('no_avg');
  b.emit(
    st('W', FP, key, 0),
    ...mapLookup(avg, key),
    jmp.jeq.imm(R0, 0, noAvg),
    ldx('DW', R1, R0, 0),
    alu64.add.reg(R1, R8),
    stx('DW', R0, 0, R1, 'avg.total += delta'),
    ldx('DW', R1, R0, 8),
    alu64.add.imm(R1, 1),
    stx('DW', R0, 8, R1, 'avg.count++'),
  );
  b.bind(noAvg);
  const div = UNIT_DIVISOR[o.unit];
  if (div !== 1) b.emit(alu64.div.imm(R8, div, `delta /= ${div} (${o.unit})`));
  log2Insns(b, R9, R8, R1);
  // The histogram key.
  if (!o.keyed) {
    b.emit(st('W', FP, hkey, 0), st('W', FP, hkey + 4, 0));
  } else {
    if (o.slot.kind === 'cookie') {
      b.emit(alu64.mov.reg(R1, R6), call(Helper.GetAttachCookie), stx('W', FP, hkey, R0, 'fslot = cookie'));
    } else if (o.slot.kind === 'const') {
      b.emit(st('W', FP, hkey, o.slot.slot, `fslot ${o.slot.slot}`));
    } else {
      // funclatency times functions; syscalls:* events are tracepoints, which it does not take.
      throw new TracerError('internal: funclatency has no slot from a syscall table');
    }
    if (o.perProcess) b.emit(alu64.rsh.imm(R7, 32), stx('W', FP, hkey + 4, R7, 'tgid'));
    else b.emit(st('W', FP, hkey + 4, -1, 'kernel: tgid -1'));
  }
  b.emit(stx('W', FP, hkey + 8, R9, 'bucket'), st('W', FP, hkey + 12, 0));
  const add = b.newLabel('add');
  emitLookupOrInit(b, hist, hkey, one, [st('DW', FP, one, 0)], add, out);
  b.emit(alu64.mov.imm(R1, 1), atomic.add('DW', R0, 0, R1, 'hist[key]++'));
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}
