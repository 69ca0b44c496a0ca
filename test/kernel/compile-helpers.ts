/**
 * Shared harness of the compile/ kernel tests: build one program from many expressions, each
 * result stored in a single-entry array map ("out": 8 bytes per scalar, or a string slot).
 */
import { ProgramBuilder } from '../../src/emit/builder.js';
import { alu64, exit, jmp, ldMapValue, stx, R0, R1, R6, R7, R8, type Label } from '../../src/emit/asm.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../src/emit/types.js';
import { parseExpr } from '../../src/specs/index.js';
import { checkExpr, isStringLike, type TypedExpr } from '../../src/compile/check.js';
import { Lowerer } from '../../src/compile/lower.js';
import type { ProbeContext } from '../../src/compile/context.js';
import { isScalar } from '../../src/compile/types.js';
import { emitEntryLoad, type EntryValues } from '../../src/compile/entry.js';

export interface Slot {
  readonly text: string;
  readonly te: TypedExpr;
  readonly kind: 'scalar' | 'string' | 'predicate';
  readonly offset: number;
  readonly size: number;
}

export interface Built {
  readonly spec: ProgramSpec;
  readonly slots: readonly Slot[];
  readonly out: MapSpec;
}

export interface BuildOptions {
  readonly name?: string;
  /** Only store when this predicate holds (lowered with branchIfFalse). */
  readonly predicate?: string;
  readonly stringSize?: number;
  /** Treat string-like expressions as strings (default) or as scalars. */
  readonly strings?: boolean;
  /** Expressions lowered as predicates (1 when true, else 0). */
  readonly predicates?: readonly string[];
  readonly entry?: EntryValues;
}

export function buildProgram(ctx: ProbeContext, progType: number, exprs: readonly string[], opts: BuildOptions = {}): Built {
  const b = new ProgramBuilder(opts.name ?? 'cmp_test', progType);
  const lower = new Lowerer(b, ctx, opts.stringSize !== undefined ? { stringSize: opts.stringSize } : {});
  const strSize = opts.stringSize ?? 64;
  b.emit(alu64.mov.reg(R6, R1));
  const done: Label = b.newLabel('done');
  if (opts.entry) emitEntryLoad(b, opts.entry, done);
  if (opts.predicate) lower.branchIfFalse(checkExpr(parseExpr(opts.predicate), ctx), done);
  const slots: Slot[] = [];
  let off = 0;
  const plan: { text: string; te: TypedExpr; kind: Slot['kind'] }[] = [
    ...exprs.map((text) => {
      const te = checkExpr(parseExpr(text), ctx);
      const str =
        opts.strings !== false && (te.type.kind === 'string' || te.type.kind === 'array' || (isStringLike(te) && te.type.kind === 'ptr' && isCharPtr(te)));
      return { text, te, kind: (str || !isScalar(te.type) ? 'string' : 'scalar') as Slot['kind'] };
    }),
    ...(opts.predicates ?? []).map((text) => ({ text, te: checkExpr(parseExpr(text), ctx), kind: 'predicate' as const })),
  ];
  const size = plan.reduce((n, p) => n + (p.kind === 'string' ? Math.ceil(strSize / 8) * 8 : 8), 0);
  const out: MapSpec = { name: 'out', type: MapType.Array, keySize: 4, valueSize: Math.max(8, size), maxEntries: 1 };
  const map = b.map(out);
  for (const p of plan) {
    b.comment(p.text);
    if (p.kind === 'string') {
      b.emit(ldMapValue(R7, map, off));
      lower.string(p.te, R7, 0, strSize);
      slots.push({ ...p, offset: off, size: strSize });
      off += Math.ceil(strSize / 8) * 8;
    } else if (p.kind === 'scalar') {
      lower.scalar(p.te, R8);
      b.emit(ldMapValue(R1, map, off), stx('DW', R1, 0, R8));
      slots.push({ ...p, offset: off, size: 8 });
      off += 8;
    } else {
      const f = b.newLabel('pf');
      const end = b.newLabel('pe');
      lower.branchIfFalse(p.te, f);
      b.emit(alu64.mov.imm(R8, 1), jmp.ja(end));
      b.bind(f);
      b.emit(alu64.mov.imm(R8, 0));
      b.bind(end);
      b.emit(ldMapValue(R1, map, off), stx('DW', R1, 0, R8));
      slots.push({ ...p, offset: off, size: 8 });
      off += 8;
    }
  }
  b.bind(done);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return { spec: b.build(), slots, out };
}

function isCharPtr(te: TypedExpr): boolean {
  return te.type.kind === 'ptr' && te.type.to.kind === 'int' && te.type.to.size === 1;
}

/** Decode the out map value: scalars as bigint (u64), strings up to the NUL. */
export function decode(built: Built, value: Uint8Array): Map<string, bigint | string> {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const r = new Map<string, bigint | string>();
  for (const s of built.slots) {
    if (s.kind === 'string') {
      const bytes = value.subarray(s.offset, s.offset + s.size);
      const nul = bytes.indexOf(0);
      r.set(s.text, Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString('latin1'));
    } else {
      r.set(s.text, dv.getBigUint64(s.offset, true));
    }
  }
  return r;
}
