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
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu32, alu64, jmp, ldx, stx, st, call, exit, ldMapFd, R0, R1, R2, R3, R4, R5, R6, R7, FP, type Label, type Reg } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { CheckError, EmitError } from '../../errors.js';
import { formatConversions, type FormatPiece as OutputPiece, type FormatValue } from '../../output/trace.js';
import type { FormatPiece as AstPiece } from '../../specs/ast.js';
import { basicType, knownTypedef, makeRecord, ptr, sizeOf, VOID, type CType, type Member, type RecordType } from '../types.js';
import type { UserTypes } from '../usertypes.js';

export const HEADER_SIZE = 48;
export const COMM_OFFSET = 24;
export const COMM_SIZE = 16;
/** PERF_MAX_STACK_DEPTH. */
export const STACK_DEPTH = 127;
export const STACK_BYTES = STACK_DEPTH * 8;
export const BPF_F_USER_STACK = 1 << 8;
/** Default `-Z`: BCC's string size. */
export const DEFAULT_STRING_SIZE = 80;

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
  /** -c: a one-slot cgroup array holding the cgroup's fd. */
  readonly cgroup?: MapSpec;
}

export function traceMaps(o: { transport: 'ringbuf' | 'perfbuf'; events: MapSpec; recordSize: number; cgroup: boolean }): TraceMaps {
  return {
    events: o.events,
    lost: { name: 'lost', type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: 1 },
    ...(o.transport === 'perfbuf' ? { scratch: { name: 'scratch', type: MapType.PercpuArray, keySize: 4, valueSize: round8(o.recordSize), maxEntries: 1 } } : {}),
    ...(o.cgroup ? { cgroup: { name: 'cgroup', type: MapType.CgroupArray, keySize: 4, valueSize: 4, maxEntries: 1 } } : {}),
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
  /** -p: only this process. */
  readonly tgid?: number;
  /** -L: only this thread. */
  readonly tid?: number;
  /** --uid */
  readonly uid?: number;
  /** trace's own process, left out unless -S. */
  readonly excludeTgid?: number;
  readonly lowering: TraceLowering;
  /** Emitted before anything else reads ctx (e.g. `r6 = r1` is always first). */
}

/** `lost[0]++` (per-CPU, so no atomics); clobbers R0–R2 and one stack slot. */
function countLost(b: ProgramBuilder, lost: ReturnType<ProgramBuilder['map']>, keySlot: number): void {
  const skip = b.newLabel('lost_done');
  b.emit(
    st('W', FP, keySlot, 0),
    ldMapFd(R1, lost),
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, keySlot),
    call(Helper.MapLookupElem),
    jmp.jeq.imm(R0, 0, skip),
    ldx('DW', R1, R0, 0),
    alu64.add.imm(R1, 1),
    stx('DW', R0, 0, R1, 'lost++'),
  );
  b.bind(skip);
}

export function traceProgram(o: TraceProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const events = b.map(o.maps.events);
  const lost = b.map(o.maps.lost);
  const out = b.newLabel('out');
  const L = o.layout;

  b.emit(alu64.mov.reg(R6, R1, 'r6 = ctx'));

  // In-kernel filters, cheapest first.
  if (o.tgid !== undefined || o.tid !== undefined || o.excludeTgid !== undefined) {
    b.emit(call(Helper.GetCurrentPidTgid));
    if (o.tid !== undefined) b.emit(alu32.mov.reg(R1, R0), jmp.jne.imm(R1, o.tid, out, `-L ${o.tid}`));
    if (o.tgid !== undefined || o.excludeTgid !== undefined) {
      b.emit(alu64.rsh.imm(R0, 32));
      if (o.tgid !== undefined) b.emit(jmp.jne.imm(R0, o.tgid, out, `-p ${o.tgid}`));
      if (o.excludeTgid !== undefined) b.emit(jmp.jeq.imm(R0, o.excludeTgid, out, 'not trace itself (-S)'));
    }
  }
  if (o.uid !== undefined) {
    b.emit(call(Helper.GetCurrentUidGid), alu32.mov.reg(R0, R0), jmp.jne.imm(R0, o.uid, out, `--uid ${o.uid}`));
  }
  if (o.maps.cgroup) {
    const cg = b.map(o.maps.cgroup);
    b.emit(ldMapFd(R1, cg), alu64.mov.imm(R2, 0), call(Helper.CurrentTaskUnderCgroup), jmp.jne.imm(R0, 1, out, '-c'));
  }
  o.lowering.predicate?.(b, out);

  const keySlot = b.stackAlloc(4, 8);

  // The record: reserved in the ring (filled in place), or the per-CPU scratch value.
  if (o.transport === 'ringbuf') {
    const have = b.newLabel('have');
    b.emit(
      ldMapFd(R1, events),
      alu64.mov.imm(R2, L.size),
      alu64.mov.imm(R3, 0),
      call(Helper.RingbufReserve),
      jmp.jne.imm(R0, 0, have),
    );
    countLost(b, lost, keySlot);
    b.emit(jmp.ja(out));
    b.bind(have);
    b.emit(alu64.mov.reg(R7, R0, 'r7 = record'));
  } else {
    if (!o.maps.scratch) throw new EmitError('internal: the perf buffer transport needs a scratch map');
    const scratch = b.map(o.maps.scratch);
    b.emit(
      st('W', FP, keySlot, 0),
      ldMapFd(R1, scratch),
      alu64.mov.reg(R2, FP),
      alu64.add.imm(R2, keySlot),
      call(Helper.MapLookupElem),
      jmp.jeq.imm(R0, 0, out),
      alu64.mov.reg(R7, R0, 'r7 = record (scratch)'),
    );
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

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** One event, decoded from its record. */
export interface TraceRecord {
  readonly ktime: bigint;
  readonly tgid: number;
  readonly tid: number;
  readonly cpu: number;
  readonly probe: number;
  readonly comm: string;
  /** Raw argument values: integers as stored (u64), strings decoded. */
  readonly args: readonly FormatValue[];
  readonly kernelStack?: readonly bigint[] | { readonly error: number };
  readonly userStack?: readonly bigint[] | { readonly error: number };
}

/** Resolves `%K` / `%U` addresses to text (`sym+0x1f [module]`). */
export interface AddressNames {
  kernel(addr: bigint): string;
  user(tgid: number, addr: bigint): string;
}

const bufCache = new WeakMap<ArrayBufferLike, Buffer>();

/** A Node Buffer over the same memory as `bytes` (no copy), cached per underlying buffer. */
let lastAB: ArrayBufferLike | undefined;
let lastBuf: Buffer | undefined;

export function bufferOf(bytes: Uint8Array): Buffer {
  if (bytes.buffer === lastAB) return lastBuf!;
  let b = bufCache.get(bytes.buffer);
  if (!b) {
    b = Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength);
    bufCache.set(bytes.buffer, b);
  }
  lastAB = bytes.buffer;
  lastBuf = b;
  return b;
}

/** A NUL-terminated string of at most `max` bytes at `off`, decoded as UTF-8 (bad bytes → U+FFFD). */
export function cString(buf: Buffer, off: number, max: number): string {
  let end = buf.indexOf(0, off);
  if (end < 0 || end > off + max) end = off + max;
  return buf.toString('utf8', off, end);
}

export function readHeader(bytes: Uint8Array, dv: DataView, off: number): Omit<TraceRecord, 'args' | 'kernelStack' | 'userStack'> {
  const buf = bufferOf(bytes);
  const base = bytes.byteOffset + off;
  return {
    ktime: dv.getBigUint64(off, true),
    tid: dv.getUint32(off + 8, true),
    tgid: dv.getUint32(off + 12, true),
    cpu: dv.getUint32(off + 16, true),
    probe: dv.getUint32(off + 20, true),
    comm: cString(buf, base + COMM_OFFSET, COMM_SIZE),
  };
}

function readStack(dv: DataView, off: number, lenAt: number): readonly bigint[] | { readonly error: number } {
  const n = dv.getInt32(off + lenAt, true);
  if (n < 0) return { error: n };
  const frames: bigint[] = [];
  for (let i = 0; i < Math.min(n, STACK_BYTES) / 8; i++) frames.push(dv.getBigUint64(off + i * 8, true));
  return frames;
}

/** The whole record, for JSON and tests. */
export function decodeRecord(layout: RecordLayout, bytes: Uint8Array, dv: DataView, off: number): TraceRecord {
  const buf = bufferOf(bytes);
  const args = layout.args.map((a): FormatValue =>
    a.kind === 'int' ? dv.getBigUint64(off + a.offset, true) : cString(buf, bytes.byteOffset + off + a.offset, layout.stringSize));
  return {
    ...readHeader(bytes, dv, off),
    args,
    ...(layout.kernelStack !== undefined ? { kernelStack: readStack(dv, off + layout.kernelStack, 40 - layout.kernelStack) } : {}),
    ...(layout.userStack !== undefined ? { userStack: readStack(dv, off + layout.userStack, 44 - layout.userStack) } : {}),
  };
}

/** Stack frames of a record (addresses, leaf first), or the error the kernel returned. */
export function recordStacks(layout: RecordLayout, dv: DataView, off: number): { kernel?: readonly bigint[] | { error: number }; user?: readonly bigint[] | { error: number } } {
  return {
    ...(layout.kernelStack !== undefined ? { kernel: readStack(dv, off + layout.kernelStack, 40 - layout.kernelStack) } : {}),
    ...(layout.userStack !== undefined ? { user: readStack(dv, off + layout.userStack, 44 - layout.userStack) } : {}),
  };
}

/** The format's pieces in output/trace.ts's form. */
export function outputPieces(pieces: readonly AstPiece[]): OutputPiece[] {
  return pieces.map((p) => (p.kind === 'text' ? p.value : { conv: p.spec, length: p.length }));
}

const TWO32 = 4294967296;

type Part = (buf: Buffer, dv: DataView, off: number, tgid: number) => string;

function hex64(dv: DataView, at: number, radix: 16 | 8): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (hi === 0) return lo.toString(radix);
  if (radix === 16) return hi.toString(16) + lo.toString(16).padStart(8, '0');
  return dv.getBigUint64(at, true).toString(8);
}

function signed64(dv: DataView, at: number): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getInt32(at + 4, true);
  // Exact in a double while |value| < 2^53.
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * TWO32 + lo);
  return dv.getBigInt64(at, true).toString();
}

function unsigned64(dv: DataView, at: number): string {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (hi < 0x200000) return String(hi * TWO32 + lo);
  return dv.getBigUint64(at, true).toString();
}

/**
 * A renderer of one probe's message, specialised per conversion so that the common case reads
 * the record with plain DataView loads and no BigInt. It prints exactly what
 * `formatConversions` prints for the same values (C printf semantics; the unit tests hold the
 * two together).
 */
export function messageRenderer(pieces: readonly AstPiece[], layout: RecordLayout, names: AddressNames): (bytes: Uint8Array, dv: DataView, off: number, tgid: number) => string {
  const parts: (string | Part)[] = [];
  let i = 0;
  for (const p of pieces) {
    if (p.kind === 'text') {
      parts.push(p.value);
      continue;
    }
    const a = layout.args[i++];
    if (!a) throw new EmitError('internal: more conversions than arguments');
    const at = a.offset;
    const len = p.length;
    const wide = len === 'l' || len === 'll';
    let part: Part;
    switch (p.spec) {
      case 'd':
      case 'i':
        part = len === 'hh' ? (_b, dv, o) => String(dv.getInt8(o + at))
          : len === 'h' ? (_b, dv, o) => String(dv.getInt16(o + at, true))
          : wide ? (_b, dv, o) => signed64(dv, o + at)
          : (_b, dv, o) => String(dv.getInt32(o + at, true));
        break;
      case 'u':
        part = len === 'hh' ? (_b, dv, o) => String(dv.getUint8(o + at))
          : len === 'h' ? (_b, dv, o) => String(dv.getUint16(o + at, true))
          : wide ? (_b, dv, o) => unsigned64(dv, o + at)
          : (_b, dv, o) => String(dv.getUint32(o + at, true));
        break;
      case 'x':
      case 'X':
      case 'o': {
        const radix = p.spec === 'o' ? 8 : 16;
        const upper = p.spec === 'X';
        const raw: Part = len === 'hh' ? (_b, dv, o) => dv.getUint8(o + at).toString(radix)
          : len === 'h' ? (_b, dv, o) => dv.getUint16(o + at, true).toString(radix)
          : wide ? (_b, dv, o) => hex64(dv, o + at, radix)
          : (_b, dv, o) => dv.getUint32(o + at, true).toString(radix);
        part = upper ? (b, dv, o, t) => raw(b, dv, o, t).toUpperCase() : raw;
        break;
      }
      case 'c':
        part = (_b, dv, o) => String.fromCharCode(dv.getUint8(o + at));
        break;
      case 'p':
        part = (_b, dv, o) => `0x${hex64(dv, o + at, 16)}`;
        break;
      case 's': {
        const size = layout.stringSize;
        part = (b, dv, o) => cString(b, dv.byteOffset + o + at, size);
        break;
      }
      case 'K':
        part = (_b, dv, o) => names.kernel(dv.getBigUint64(o + at, true));
        break;
      case 'U':
        part = (_b, dv, o, tgid) => names.user(tgid, dv.getBigUint64(o + at, true));
        break;
    }
    parts.push(part);
  }
  if (i !== layout.args.length) throw new EmitError('internal: more arguments than conversions');
  if (parts.length === 0) return () => '';
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return () => s;
  }
  return (bytes, dv, off, tgid) => {
    const buf = bufferOf(bytes);
    let s = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      s += typeof p === 'string' ? p : p(buf, dv, off, tgid);
    }
    return s;
  };
}

/** The reference rendering of a decoded record's message (slow path; tests and -A keys agree with it). */
export function renderMessage(pieces: readonly AstPiece[], args: readonly FormatValue[], names: AddressNames, tgid: number): string {
  const conv = pieces.filter((p) => p.kind === 'conversion');
  const values = args.map((v, k) => {
    const c = conv[k];
    if (c?.kind === 'conversion' && typeof v === 'bigint') {
      if (c.spec === 'K') return names.kernel(v);
      if (c.spec === 'U') return names.user(tgid, v);
    }
    return v;
  });
  return formatConversions(outputPieces(pieces), values);
}

// ---------------------------------------------------------------------------------------------
// -I headers: simple user-space struct declarations
// ---------------------------------------------------------------------------------------------

export interface ParsedHeader {
  readonly records: RecordType[];
  readonly typedefs: Record<string, CType>;
  /** Top-level declarations that are not struct definitions (shown to the user as ignored). */
  readonly skipped: string[];
}

function alignOf(t: CType): number {
  switch (t.kind) {
    case 'array':
      return alignOf(t.elem);
    case 'struct':
    case 'union':
      return Math.max(1, ...t.members().map((m) => alignOf(m.type)));
    default:
      return Math.max(1, Math.min(8, sizeOf(t)));
  }
}

/**
 * Reads `struct name { type member; … };` (and `typedef struct … name;`) from a header: basic
 * C types, known typedefs, pointers, fixed arrays and structs declared earlier, laid out as
 * the C compiler does on LP64. Everything else at top level (functions, macros' uses, enums,
 * variables) is returned in `skipped`. Throws CheckError on a struct it cannot lay out.
 */
export function parseUserHeader(text: string, known: UserTypes): ParsedHeader {
  const src = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ').replace(/^\s*#.*$/gm, ' ');
  const records: RecordType[] = [];
  const typedefs: Record<string, CType> = {};
  const skipped: string[] = [];
  const lookupRecord = (kind: 'struct' | 'union', name: string): RecordType | undefined =>
    records.find((r) => r.kind === kind && r.name === name) ?? known.record(kind, name);
  const baseType = (words: string, where: string): CType => {
    const w = words.replace(/\b(const|volatile|__user|extern|static)\b/g, ' ').replace(/\s+/g, ' ').trim();
    const rec = /^(struct|union)\s+([A-Za-z_]\w*)$/.exec(w);
    if (rec) {
      const r = lookupRecord(rec[1] as 'struct' | 'union', rec[2]);
      if (!r) throw new CheckError(`${where}: ${w} is not declared before it is used`);
      return r;
    }
    const canon = w.replace(/\bsigned (char|short|int|long)/, (_m, x: string) => (x === 'char' ? 'signed char' : x))
      .replace(/\b(short|long|long long) int\b/, '$1').replace(/^unsigned$/, 'unsigned int').replace(/^signed$/, 'int')
      .replace(/^unsigned (short|long|long long) int$/, 'unsigned $1');
    const t = basicType(canon) ?? knownTypedef(canon) ?? typedefs[canon] ?? known.typedef(canon) ?? (canon === 'void' ? VOID : undefined);
    if (!t) throw new CheckError(`${where}: unknown type '${w}'`);
    return t;
  };
  const re = /(typedef\s+)?\b(struct|union)\s+([A-Za-z_]\w*)?\s*\{([^{}]*)\}\s*([A-Za-z_]\w*)?\s*;/g;
  let last = 0;
  const noteSkipped = (chunk: string) => {
    for (const d of chunk.split(';').map((x) => x.replace(/\s+/g, ' ').trim()).filter(Boolean)) skipped.push(d.length > 60 ? `${d.slice(0, 57)}...` : d);
  };
  for (let m = re.exec(src); m; m = re.exec(src)) {
    noteSkipped(src.slice(last, m.index));
    last = re.lastIndex;
    const kind = m[2] as 'struct' | 'union';
    const name = m[3] ?? m[5] ?? '';
    const members: Member[] = [];
    let off = 0;
    let size = 0;
    let maxAlign = 1;
    for (const decl of m[4].split(';').map((x) => x.trim()).filter(Boolean)) {
      const d = /^(.*?)((?:\s*\*\s*)*)([A-Za-z_]\w*)\s*((?:\[\s*\d+\s*\]\s*)*)$/.exec(decl);
      if (!d || d[1].trim() === '') throw new CheckError(`${kind} ${name}: cannot read member '${decl}'`);
      let t = baseType(d[1], `${kind} ${name}`);
      const stars = (d[2].match(/\*/g) ?? []).length;
      for (let i = 0; i < stars; i++) t = ptr(t, true);
      const dims = [...d[4].matchAll(/\d+/g)].map((x) => Number(x[0]));
      for (let i = dims.length - 1; i >= 0; i--) t = { kind: 'array', elem: t, length: dims[i] };
      const a = alignOf(t);
      maxAlign = Math.max(maxAlign, a);
      if (kind === 'struct') off = Math.ceil(off / a) * a;
      members.push({ name: d[3], bitOffset: kind === 'struct' ? off * 8 : 0, bitSize: 0, type: t });
      if (kind === 'struct') off += sizeOf(t);
      else size = Math.max(size, sizeOf(t));
    }
    const total = Math.ceil((kind === 'struct' ? off : size) / maxAlign) * maxAlign;
    const rec = makeRecord(kind, name, total, members, 'user');
    if (name) records.push(rec);
    if (m[1] && m[5]) typedefs[m[5]] = rec;
  }
  noteSkipped(src.slice(last));
  return { records, typedefs, skipped };
}

// ---------------------------------------------------------------------------------------------
// Per-thread decoding cache
// ---------------------------------------------------------------------------------------------

export interface TaskEntry {
  readonly tid: number;
  tgid: number;
  comm: string;
  /** What the tool derives from (tgid, tid, comm), e.g. its text columns; reset when they change. */
  columns: string | undefined;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/**
 * tgid and comm per thread, so that a busy thread's comm is decoded once, not per event: an
 * entry is reused while the record's tgid and comm bytes (four u32 loads) are unchanged.
 */
export class TaskCache {
  readonly #m = new Map<number, TaskEntry>();
  #lastBuffer: ArrayBufferLike | undefined;
  #buf: Buffer | undefined;

  get(bytes: Uint8Array, dv: DataView, off: number): TaskEntry {
    const tid = dv.getUint32(off + 8, true);
    const tgid = dv.getUint32(off + 12, true);
    const c = off + COMM_OFFSET;
    const w0 = dv.getInt32(c, true);
    const w1 = dv.getInt32(c + 4, true);
    const w2 = dv.getInt32(c + 8, true);
    const w3 = dv.getInt32(c + 12, true);
    let e = this.#m.get(tid);
    if (e !== undefined && e.tgid === tgid && e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e;
    if (bytes.buffer !== this.#lastBuffer) {
      this.#lastBuffer = bytes.buffer;
      this.#buf = bufferOf(bytes);
    }
    const comm = cString(this.#buf!, bytes.byteOffset + c, COMM_SIZE);
    if (e === undefined) {
      if (this.#m.size > 65536) this.#m.clear();
      e = { tid, tgid, comm, columns: undefined, w0, w1, w2, w3 };
      this.#m.set(tid, e);
    } else {
      Object.assign(e, { tgid, comm, columns: undefined, w0, w1, w2, w3 });
    }
    return e;
  }
}
