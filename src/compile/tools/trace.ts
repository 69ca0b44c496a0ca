/**
 * The program shape of trace: one program per probe (per distinct USDT argument layout) that
 * filters, evaluates its predicate, and sends one fixed-size record per event to user space.
 *
 * Record (little-endian, every field 8-aligned where it matters):
 *
 *     0  u64  ktime (bpf_ktime_get_ns, CLOCK_MONOTONIC)
 *     8  u32  tid      12  u32 tgid           (bpf_get_current_pid_tgid, stored as one u64)
 *    16  u32  cpu      20  u32 probe index
 *    24  char comm[16]
 *    40  s32  kernel stack bytes (bpf_get_stack's result; < 0: -errno)
 *    44  s32  user stack bytes
 *    48  the arguments, in order: integers as u64, strings as char[stringSize rounded to 8]
 *     …  kernel stack: u64[127] (-K), then user stack: u64[127] (-U)
 *
 * After the filters and the predicate the record is taken — `bpf_ringbuf_reserve` (filled in
 * place, then submitted: no copy) or, with the perf buffer, a per-CPU scratch value sent with
 * `bpf_perf_event_output` — and the arguments are evaluated straight into it (the expression
 * lowering clobbers R0–R5 only, so R7 keeps the record). Stacks are copied with `bpf_get_stack` straight into
 * the record, so no stack map can run out or collide. When the ring is full the event is
 * counted in the per-CPU `lost` array, which user space reports.
 *
 * Reading the records back: trace-record.ts (and trace-tasks.ts, the per-thread cache).
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu32, alu64, jmp, stx, st, call, exit, ldMapFd, R0, R1, R2, R3, R4, R5, R6, R7, FP, type Label, type MapRef, type Reg } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';
import { emitCountSlot } from '../counter.js';
import { mapLookup } from '../map-calls.js';
import { CheckError, EmitError } from '../../errors.js';
import type { FormatPiece as AstPiece } from '../../specs/ast.js';

export const HEADER_SIZE = 48;
export const COMM_OFFSET = 24;
export const COMM_SIZE = 16;
/** PERF_MAX_STACK_DEPTH. */
export const STACK_DEPTH = 127;
export const STACK_BYTES = STACK_DEPTH * 8;
export const BPF_F_USER_STACK = 1 << 8;
/** Default `-Z`: BCC's string size. */
export const DEFAULT_STRING_SIZE = 80;
/** The largest -Z: a string lives in the record, whose every offset must fit in a signed 16-bit instruction field. */
export const MAX_STRING_SIZE = 8192;
/** The largest record: its offsets are instruction offsets (signed 16 bits). */
export const MAX_RECORD_SIZE = 32768;

export type TraceArgKind = 'int' | 'string';

export interface RecordLayout {
  readonly args: readonly { readonly kind: TraceArgKind; readonly offset: number; readonly size: number }[];
  /** Offsets of the stack arrays, when collected. */
  readonly kernelStack?: number;
  readonly userStack?: number;
  readonly size: number;
  readonly stringSize: number;
}

const round8 = (n: number): number => (n + 7) & ~7;

export function recordLayout(kinds: readonly TraceArgKind[], o: { stringSize: number; kernelStack?: boolean; userStack?: boolean }): RecordLayout {
  let off = HEADER_SIZE;
  const args = kinds.map((kind) => {
    const size = kind === 'int' ? 8 : round8(o.stringSize);
    const a = { kind, offset: off, size };
    off += size;
    return a;
  });
  const layout: { -readonly [K in keyof RecordLayout]: RecordLayout[K] } = { args, size: 0, stringSize: o.stringSize };
  if (o.kernelStack) {
    layout.kernelStack = off;
    off += STACK_BYTES;
  }
  if (o.userStack) {
    layout.userStack = off;
    off += STACK_BYTES;
  }
  layout.size = off;
  if (off > MAX_RECORD_SIZE) {
    const strings = kinds.filter((k) => k !== 'int').length;
    throw new CheckError(
      `an event record of ${off} bytes is too large (at most ${MAX_RECORD_SIZE}): ${strings} string${strings === 1 ? '' : 's'} of -Z ${o.stringSize} bytes${o.kernelStack || o.userStack ? ' and stacks' : ''}`,
      ['lower -Z/--string-size, or print fewer strings per probe'],
    );
  }
  return layout;
}

/** Which argument kind each conversion needs: `%s` a string, everything else an integer. */
export function argKinds(pieces: readonly AstPiece[]): TraceArgKind[] {
  return pieces.filter((p) => p.kind === 'conversion').map((p) => (p.kind === 'conversion' && p.spec === 's' ? 'string' : 'int'));
}

export interface TraceMaps {
  /** Ring buffer, or perf event array. */
  readonly events: MapSpec;
  /** Per-CPU u64 counter of records the transport refused. */
  readonly lost: MapSpec;
  /** Perf buffer only: a per-CPU scratch value the record is built in. */
  readonly scratch?: MapSpec;
}

export function traceMaps(o: { transport: 'ringbuf' | 'perfbuf'; events: MapSpec; recordSize: number }): TraceMaps {
  return {
    events: o.events,
    lost: { name: 'lost', type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: 1 },
    ...(o.transport === 'perfbuf'
      ? { scratch: { name: 'scratch', type: MapType.PercpuArray, keySize: 4, valueSize: round8(o.recordSize), maxEntries: 1 } }
      : {}),
  };
}

/**
 * How the probe's expressions become instructions (the expression compiler, bound to this
 * probe's context). Each call may clobber R0–R5; R6 holds the context, R7 the record.
 */
export interface TraceLowering {
  /** Jump to `falseLabel` unless the predicate holds. */
  predicate?(b: ProgramBuilder, falseLabel: Label): void;
  /** Argument `i` (an integer) into `dst`. */
  scalar(b: ProgramBuilder, i: number, dst: Reg): void;
  /** Argument `i` (a string) into `size` bytes at `base + off`, NUL-terminated. */
  string(b: ProgramBuilder, i: number, base: Reg, off: number, size: number): void;
}

export interface TraceProgramOptions {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly probeIndex: number;
  readonly layout: RecordLayout;
  readonly maps: TraceMaps;
  readonly transport: 'ringbuf' | 'perfbuf';
  /** Which tasks' events are traced (-p, -L, --uid, -c, and trace itself unless -S). */
  readonly filter: TaskFilter;
  readonly lowering: TraceLowering;
  /** Emitted before anything else reads ctx (e.g. `r6 = r1` is always first). */
}

/** `lost[0]++`, then on. */
function countLost(b: ProgramBuilder, lost: MapRef, keySlot: number): void {
  const done = b.newLabel('lost_done');
  emitCountSlot(b, lost, 0, keySlot, done, 'lost++');
  b.bind(done);
}

export function traceProgram(o: TraceProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const events = b.map(o.maps.events);
  const lost = b.map(o.maps.lost);
  const out = b.newLabel('out');
  const L = o.layout;

  b.emit(alu64.mov.reg(R6, R1, 'r6 = ctx'));

  emitTaskFilter(b, o.filter, out);
  o.lowering.predicate?.(b, out);

  const keySlot = b.stackAlloc(4, 8);

  // The record: reserved in the ring (filled in place), or the per-CPU scratch value.
  if (o.transport === 'ringbuf') {
    const have = b.newLabel('have');
    b.emit(ldMapFd(R1, events), alu64.mov.imm(R2, L.size), alu64.mov.imm(R3, 0), call(Helper.RingbufReserve), jmp.jne.imm(R0, 0, have));
    countLost(b, lost, keySlot);
    b.emit(jmp.ja(out));
    b.bind(have);
    b.emit(alu64.mov.reg(R7, R0, 'r7 = record'));
  } else {
    if (!o.maps.scratch) throw new EmitError('internal: the perf buffer transport needs a scratch map');
    const scratch = b.map(o.maps.scratch);
    b.emit(st('W', FP, keySlot, 0), ...mapLookup(scratch, keySlot), jmp.jeq.imm(R0, 0, out), alu64.mov.reg(R7, R0, 'r7 = record (scratch)'));
  }

  b.emit(
    call(Helper.KtimeGetNs),
    stx('DW', R7, 0, R0, 'ktime'),
    call(Helper.GetCurrentPidTgid),
    stx('DW', R7, 8, R0, 'tid, tgid'),
    call(Helper.GetSmpProcessorId),
    stx('W', R7, 16, R0, 'cpu'),
    st('W', R7, 20, o.probeIndex, 'probe'),
    alu64.mov.reg(R1, R7),
    alu64.add.imm(R1, COMM_OFFSET),
    alu64.mov.imm(R2, COMM_SIZE),
    call(Helper.GetCurrentComm),
    st('DW', R7, 40, 0),
  );
  // The arguments, straight into the record (the lowering keeps R6–R9).
  L.args.forEach((a, i) => {
    if (a.kind === 'int') {
      o.lowering.scalar(b, i, R0);
      b.emit(stx('DW', R7, a.offset, R0, `arg ${i + 1}`));
    } else {
      o.lowering.string(b, i, R7, a.offset, L.stringSize);
    }
  });
  const stack = (off: number, flags: number, at: number, what: string) => {
    b.emit(
      alu64.mov.reg(R1, R6),
      alu64.mov.reg(R2, R7),
      alu64.add.imm(R2, off),
      alu64.mov.imm(R3, STACK_BYTES),
      alu64.mov.imm(R4, flags),
      call(Helper.GetStack),
      stx('W', R7, at, R0, `${what} stack bytes`),
    );
  };
  if (L.kernelStack !== undefined) stack(L.kernelStack, 0, 40, 'kernel');
  if (L.userStack !== undefined) stack(L.userStack, BPF_F_USER_STACK, 44, 'user');

  if (o.transport === 'ringbuf') {
    b.emit(alu64.mov.reg(R1, R7), alu64.mov.imm(R2, 0), call(Helper.RingbufSubmit));
  } else {
    const sent = b.newLabel('sent');
    b.emit(
      alu64.mov.reg(R1, R6),
      ldMapFd(R2, events),
      alu32.mov.imm(R3, -1, 'BPF_F_CURRENT_CPU'),
      alu64.mov.reg(R4, R7),
      alu64.mov.imm(R5, L.size),
      call(Helper.PerfEventOutput),
      jmp.jsge.imm(R0, 0, sent),
    );
    countLost(b, lost, keySlot);
    b.bind(sent);
  }
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}
