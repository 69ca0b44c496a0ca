/**
 * The program shapes of argdist.
 *
 * Frequency probes (`-C`): a hash map keyed by the tuple of the expressions' values, laid out
 * as BCC's `struct key_t { T0 v0; T1 v1; … }` (natural alignment, `char*` values as a
 * fixed-size `char[z]` string), counting with atomic increments. The key is zeroed first, so
 * padding and the bytes after a string's NUL never make two keys differ. A new key is
 * inserted with BPF_NOEXIST and the value 1; a racing insert from another CPU (EEXIST) falls
 * back to the atomic increment; any other failure (a full map) is counted in `dropped`.
 *
 * Exact intervals: the counts are double-buffered. Each frequency probe has two hashes, and the
 * one-slot array `ad_active` says which one the programs count in. At the end of an interval
 * user space flips `ad_active`, waits until every program that may have read the old value has
 * returned (kernel/barrier.ts: one RCU grace period), then reads and clears the idle hash, which
 * nothing writes any more. Reading and deleting the live hash instead would lose an increment
 * landing between the copy and the delete.
 *
 * Histogram probes (`-H`): the value is converted to the declared type (truncated, sign- or
 * zero-extended), then to u64 as BCC's `bpf_log2l()` takes it (negative values land in slot
 * 64), and counted with an atomic add in 65 log2 slots that live in the value of a one-element
 * array, addressed directly (BPF_PSEUDO_MAP_VALUE, as funccount's counters: compile/tools/
 * count.ts), so an event makes no helper call. The slots only grow; user space reads the value
 * and prints the difference from its previous read, so every event lands in exactly one
 * interval.
 *
 * Return probes that use `$entry(param)` or `$latency` get an entry program that stashes what
 * they need per thread (compile/entry.ts); the return program drops the event when its entry
 * was missed.
 *
 * The expressions themselves are lowered by the expression compiler; this file only decides
 * where their values go (see {@link ArgdistLowering}).
 */
import type { MacroScope } from '../macros/scope.js';
import type { UserTypes } from '../usertypes.js';
import { emitHashCount } from './hash-count.js';
import { ProgramBuilder } from '../../emit/builder.js';
import { alu64, atomic, jmp, ldx, stx, st, exit, ldMapValue, R0, R1, R2, R6, R7, R8, R9, FP, type Reg, type Label } from '../../emit/asm.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';
import { emitCountSlot } from '../counter.js';
import { log2Insns } from './latency.js';
import { EmitError } from '../../errors.js';
import type { ArgdistSpecAst, Expr } from '../../specs/ast.js';
import { checkExpr, requirePointerOrString, requireScalar } from '../check.js';
import { probeContext, entrySite, isReturnSite, type BtfSource, type ProbeContext, type ProbeSite } from '../context.js';
import { Lowerer } from '../lower.js';
import { entryNeeds, emitEntryStash, emitEntryLoad, type EntryValues } from '../entry.js';

/** BCC's BPF_HASH default size. */
export const FREQ_ENTRIES = 10240;
/** bpf_log2l() slots 0..64. */
export const HIST_SLOTS = 65;
/** The key must fit on the BPF stack beside what the expressions need. */
export const MAX_KEY_SIZE = 384;

/** How one value of a key (or the histogram value) is stored. */
export type ArgdistValueType =
  | { readonly kind: 'int'; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean; readonly name: string }
  | { readonly kind: 'string'; readonly size: number; readonly name: string };

export interface KeyField {
  readonly type: ArgdistValueType;
  readonly offset: number;
}

export interface KeyLayout {
  readonly fields: readonly KeyField[];
  /** Rounded up to the largest alignment, as C lays out the struct (at least 1). */
  readonly size: number;
}

/** BCC's `struct key_t`: fields in order, each at its natural alignment (strings: 1). */
export function keyLayout(types: readonly ArgdistValueType[]): KeyLayout {
  let off = 0;
  let maxAlign = 1;
  const fields: KeyField[] = [];
  for (const t of types) {
    const align = t.kind === 'int' ? t.size : 1;
    maxAlign = Math.max(maxAlign, align);
    off = Math.ceil(off / align) * align;
    fields.push({ type: t, offset: off });
    off += t.size;
  }
  const size = Math.max(1, Math.ceil(off / maxAlign) * maxAlign);
  return { fields, size };
}

/** Decoded key values: bigint for integers, string for strings (up to the first NUL). */
export type KeyValue = bigint | string;

/** Read one field of a key (integers in host order, which is little-endian on x86-64/arm64). */
export function decodeField(key: Uint8Array, f: KeyField): KeyValue {
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const t = f.type;
  if (t.kind === 'string') {
    const bytes = key.subarray(f.offset, f.offset + t.size);
    const nul = bytes.indexOf(0);
    return Buffer.from(nul >= 0 ? bytes.subarray(0, nul) : bytes).toString('utf8');
  }
  switch (t.size) {
    case 1:
      return BigInt(t.signed ? dv.getInt8(f.offset) : dv.getUint8(f.offset));
    case 2:
      return BigInt(t.signed ? dv.getInt16(f.offset, true) : dv.getUint16(f.offset, true));
    case 4:
      return BigInt(t.signed ? dv.getInt32(f.offset, true) : dv.getUint32(f.offset, true));
    case 8:
      return t.signed ? dv.getBigInt64(f.offset, true) : dv.getBigUint64(f.offset, true);
    default:
      throw new EmitError(`bad key field size ${String((t as { size: number }).size)}`);
  }
}

/** Encode a key from values (tests, and looking keys up from user space). */
export function encodeKey(layout: KeyLayout, values: readonly KeyValue[]): Uint8Array {
  const key = new Uint8Array(layout.size);
  const dv = new DataView(key.buffer);
  layout.fields.forEach((f, i) => {
    const v = values[i]!;
    const t = f.type;
    if (t.kind === 'string') {
      key.set(Buffer.from(String(v), 'utf8').subarray(0, t.size - 1), f.offset);
      return;
    }
    const n = BigInt.asUintN(t.size * 8, BigInt(v));
    if (t.size === 8) dv.setBigUint64(f.offset, n, true);
    else if (t.size === 4) dv.setUint32(f.offset, Number(n), true);
    else if (t.size === 2) dv.setUint16(f.offset, Number(n), true);
    else dv.setUint8(f.offset, Number(n));
  });
  return key;
}

/** Map names: the kernel keeps 15 characters. `half` 1 is the second buffer of the pair. */
export function freqMapSpec(index: number, keySize: number, maxEntries = FREQ_ENTRIES, half: 0 | 1 = 0): MapSpec {
  return { name: `ad_freq${index}${half ? '_b' : ''}`, type: MapType.Hash, keySize, valueSize: 8, maxEntries };
}

/** Which of each frequency probe's two hashes the programs count in (u32 0 or 1, slot 0). */
export function activeMapSpec(): MapSpec {
  return { name: 'ad_active', type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 1 };
}

/** u64 slots[65] of one histogram probe, in the value of a one-element array (direct value access). */
export function histMapSpec(index: number): MapSpec {
  return { name: `ad_hist${index}`, type: MapType.Array, keySize: 4, valueSize: 8 * HIST_SLOTS, maxEntries: 1 };
}

/** Per-CPU count of updates a full frequency map refused, one slot per probe. */
export function droppedMapSpec(probes: number): MapSpec {
  return { name: 'ad_dropped', type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: Math.max(1, probes) };
}

/**
 * What the expression compiler provides to a program: code for each expression, the
 * filter and the entry values. Registers R0–R5 and R7–R9 may be clobbered by any of these;
 * R6 holds the context.
 */
export interface ArgdistLowering {
  /** Leave the value of expression `i` in `dst`. */
  scalar(i: number, dst: Reg): void;
  /** Write expression `i` as a NUL-terminated string of at most `size` bytes at `base + off`. */
  string(i: number, base: Reg, off: number, size: number): void;
  /** Jump to `label` when the filter is false (absent: no filter). */
  filter?(label: Label): void;
  /** Return probes: load the stashed entry values, jumping to `label` when there are none. */
  entryLoad?(label: Label): void;
}

interface Common {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  /** Which tasks' events count. */
  readonly filter: TaskFilter;
}

export interface FreqProgramOptions extends Common {
  readonly kind: 'freq';
  readonly index: number;
  readonly layout: KeyLayout;
  /** One hash, or a double-buffered pair selected by `active` (both or neither). */
  readonly freq: MapSpec | readonly [MapSpec, MapSpec];
  readonly active?: MapSpec;
  readonly dropped: MapSpec;
  lower(b: ProgramBuilder): ArgdistLowering;
}

export interface HistProgramOptions extends Common {
  readonly kind: 'hist';
  readonly index: number;
  readonly type: ArgdistValueType;
  readonly hist: MapSpec;
  lower(b: ProgramBuilder): ArgdistLowering;
}

export type ArgdistProgramOptions = FreqProgramOptions | HistProgramOptions;

/** `r = (T)r` then widened to 64 bits as C converts T to u64. */
function convert(b: ProgramBuilder, r: Reg, t: ArgdistValueType): void {
  if (t.kind !== 'int' || t.size === 8) return;
  const shift = 64 - t.size * 8;
  b.emit(alu64.lsh.imm(r, shift), t.signed ? alu64.arsh.imm(r, shift, `(${t.name})`) : alu64.rsh.imm(r, shift, `(${t.name})`));
}

/** The probe program of one argdist specifier. */
export function argdistProgram(o: ArgdistProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const out = b.newLabel('out');
  b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  emitTaskFilter(b, o.filter, out);
  const lw = o.lower(b);
  lw.entryLoad?.(out);
  lw.filter?.(out);
  if (o.kind === 'freq') freqBody(b, o, lw, out);
  else histBody(b, o, lw);
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}

function freqBody(b: ProgramBuilder, o: FreqProgramOptions, lw: ArgdistLowering, out: Label): void {
  if (o.layout.size > MAX_KEY_SIZE) {
    throw new EmitError(`the key of probe ${o.index} is ${o.layout.size} bytes, over the ${MAX_KEY_SIZE} that fit the BPF stack`, [
      'use a smaller string size (-z)',
    ]);
  }
  const pair = Array.isArray(o.freq) ? (o.freq as readonly [MapSpec, MapSpec]) : undefined;
  if ((pair !== undefined) !== (o.active !== undefined)) throw new EmitError('internal: a double-buffered frequency map needs both hashes and ad_active');
  const freqA = b.map(pair ? pair[0] : (o.freq as MapSpec));
  const freqB = pair ? b.map(pair[1]) : undefined;
  const active = o.active ? b.map(o.active) : undefined;
  const dropped = b.map(o.dropped);
  const key = b.stackAlloc(Math.ceil(o.layout.size / 8) * 8);
  for (let off = 0; off < o.layout.size; off += 8) b.emit(st('DW', FP, key + off, 0, off === 0 ? 'key = {}' : undefined));
  o.layout.fields.forEach((f, i) => {
    if (f.type.kind === 'string') {
      b.comment(`key.v${i} = (string) expr ${i}`);
      lw.string(i, FP, key + f.offset, f.type.size);
    } else {
      lw.scalar(i, R0);
      b.emit(stx(f.type.size, FP, key + f.offset, R0, `key.v${i} = (${f.type.name}) expr ${i}`));
    }
  });
  const one = b.stackAlloc(8);
  const add = b.newLabel('add');
  if (active) {
    // R7 = ad_active[0], read once (so every access of this event goes to the same hash) and
    // directly: the one-element array's value is addressed without a helper call.
    b.emit(ldMapValue(R1, active, 0, '&ad_active[0]'), ldx('W', R7, R1, 0, 'active hash'));
  }
  const full = b.newLabel('full');
  emitHashCount(b, {
    hashes: freqB ? [freqA, freqB] : [freqA],
    key,
    scratch: one,
    add,
    out,
    full,
    selectorComment: 'ad_active: the second hash',
  });
  b.bind(full);
  emitCountSlot(b, dropped, o.index, one, out, 'map full: dropped[probe]++');
  b.emit(jmp.ja(out));
  b.bind(add);
  b.emit(alu64.mov.imm(R1, 1), atomic.add('DW', R0, 0, R1, 'counts[key]++'));
}

function histBody(b: ProgramBuilder, o: HistProgramOptions, lw: ArgdistLowering): void {
  if (o.type.kind === 'string') {
    // BCC histograms a char* value as the pointer it is.
    o = { ...o, type: { kind: 'int', size: 8, signed: false, name: o.type.name } };
  }
  const hist = b.map(o.hist);
  const skip = b.newLabel('skip');
  lw.scalar(0, R8);
  convert(b, R8, o.type);
  log2Insns(b, R9, R8, R1);
  b.emit(
    jmp.jgt.imm(R9, HIST_SLOTS - 1, skip, 'slot <= 64 (for the verifier)'),
    alu64.lsh.imm(R9, 3),
    ldMapValue(R1, hist, 0, '&hist[0]'),
    alu64.add.reg(R1, R9),
    alu64.mov.imm(R2, 1),
    atomic.add('DW', R1, 0, R2, 'hist[slot]++'),
  );
  b.bind(skip);
}

export interface EntryProgramOptions extends Common {
  /** Emit the stash of the entry values (compile/entry.ts emitEntryStash). */
  stash(b: ProgramBuilder): void;
}

/** The entry program of a return probe that uses `$entry(param)` or `$latency`. */
export function argdistEntryProgram(o: EntryProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const out = b.newLabel('out');
  b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  emitTaskFilter(b, o.filter, out);
  o.stash(b);
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}

// ---------------------------------------------------------------------------------------------
// Compiling one specifier for one site
// ---------------------------------------------------------------------------------------------

/** Where a program runs, as the expression compiler's ProbeContext describes it. */
export type ArgdistSite = ProbeSite;

export interface ArgdistCompileInput {
  readonly ast: ArgdistSpecAst;
  readonly types: readonly ArgdistValueType[];
  readonly site: ArgdistSite;
  readonly stringSize: number;
  /** Kernel BTF: casts to kernel types, parameter names of kernel functions. */
  readonly btf?: BtfSource;
  /** Map-name prefix of this program's entry stash (`ad3`). */
  readonly prefix: string;
  /** Constants and member aliases (defaults: BTF enumerators, the uapi table, built-in aliases). */
  readonly macros?: MacroScope;
  /** User-space structs (-I headers). */
  readonly userTypes?: UserTypes;
}

export interface CompiledArgdist {
  lower(b: ProgramBuilder): ArgdistLowering;
  /** Return probes with $entry/$latency: the entry program's body. */
  readonly stash?: (b: ProgramBuilder) => void;
}

function exprText(inp: ArgdistCompileInput, e: Expr): string {
  return inp.ast.text.slice(e.span.start, e.span.end).trim();
}

/**
 * Type-check a specifier's expressions and filter at one site and return how to lower them.
 * Throws CheckError (with spans) for anything the site cannot provide.
 */
export function compileArgdist(inp: ArgdistCompileInput): CompiledArgdist {
  const { ast } = inp;
  const site = inp.site;
  const all = [...ast.exprs, ast.filter];
  let entry: EntryValues | undefined;
  let entryCtx: ProbeContext | undefined;
  const extra = { ...(inp.macros ? { macros: inp.macros } : {}), ...(inp.userTypes ? { userTypes: inp.userTypes } : {}) };
  if (isReturnSite(site)) {
    entryCtx = probeContext(entrySite(site), { signature: ast.signature, btf: inp.btf, ...extra });
    entry = entryNeeds(all, entryCtx, { mapName: `${inp.prefix}_entry` });
  }
  const ctx = probeContext(site, { signature: ast.signature, btf: inp.btf, ...extra, ...(entry?.needed ? { entry } : {}) });
  const typed = ast.exprs.map((e, i) => {
    const te = checkExpr(e, ctx);
    const t = inp.types[i]!;
    if (t.kind === 'string') requirePointerOrString(te, `'${exprText(inp, e)}' (${t.name})`);
    else requireScalar(te, `'${exprText(inp, e)}' (${t.name})`);
    return te;
  });
  const filter = ast.filter ? checkExpr(ast.filter, ctx) : undefined;
  if (filter) requireScalar(filter, 'the filter');
  const needed = entry?.needed ? entry : undefined;
  return {
    lower: (b) => {
      const lw = new Lowerer(b, ctx, { stringSize: inp.stringSize });
      return {
        scalar: (i, dst) => lw.scalar(typed[i]!, dst),
        string: (i, base, off, size) => lw.string(typed[i]!, base, off, size),
        ...(filter ? { filter: (label: Label) => lw.branchIfFalse(filter, label) } : {}),
        ...(needed ? { entryLoad: (label: Label) => emitEntryLoad(b, needed, label) } : {}),
      };
    },
    ...(needed && entryCtx ? { stash: (b: ProgramBuilder) => emitEntryStash(b, entryCtx!, needed) } : {}),
  };
}
