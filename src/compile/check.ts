/**
 * Type checking: a spec expression and a ProbeContext → a TypedExpr, where every node has a C
 * type, the memory space its pointers point into, and a resolved form (`node`) the lowerer
 * walks without looking anything up again.
 *
 * C semantics kept (LP64):
 *  - integer promotions (narrower than int → int) and the usual arithmetic conversions, made
 *    explicit as `conv` nodes, so `(int)retval < 0` is a signed compare and `u32 < int` is not;
 *  - comparisons, `!`, `&&`, `||` have type int; `?:` converts its branches to a common type;
 *  - pointer ± integer scales by the pointee size; pointer - pointer gives a long element count.
 * Values without type information (argN/retval with no signature and no BTF) are `u64`, marked
 * `untyped`: they may be used as addresses (`%s`, casts) like BCC allows.
 *
 * Errors are ExprCheckError (a CheckError with the span of the offending node).
 */
import { CheckError, SpannedCheckError, assertNever, type SourceSpan } from '../errors.js';
import { suggest } from '../btf/resolve.js';
import { BUILTIN_NAMES, type BinaryOp, type Expr, type Param, type TypeName } from '../specs/ast.js';
import type { Diagnostic } from '../specs/diagnostics.js';
import type { TracepointField } from '../symbols/tracefs.js';
import {
  INT,
  LONG,
  U64,
  VOID,
  int,
  ptr,
  basicType,
  knownTypedef,
  fromBtf,
  formatType,
  isInteger,
  isRecord,
  isScalar,
  makeRecord,
  sizeOf,
  scalarRep,
  findMember,
  asUser,
  charSigned,
  type CType,
  type IntType,
  type Member,
  type PtrType,
  type RecordType,
} from './types.js';
import {
  argLocation,
  isPtRegsSite,
  isReturnSite,
  kernelProto,
  rawTracepointProto,
  retvalLocation,
  type ArgLocation,
  type MemSpace,
  type ProbeContext,
} from './context.js';

/**
 * A CheckError that points at the node it is about. The checker keeps going after a fault in
 * one operand to check the others: the error thrown is the first fault in source order, and
 * `more` holds the later ones of the same expression (see `all`).
 */
export class ExprCheckError extends CheckError {
  more: readonly ExprCheckError[] = [];
  constructor(
    message: string,
    readonly span: SourceSpan,
    hints: readonly string[] = [],
  ) {
    super(message, hints);
  }
  /** For `renderDiagnostic` from specs/diagnostics: the spec text the span points into. */
  diagnostic(source: string): Diagnostic {
    return { message: this.message, source, span: this.span, hints: this.hints };
  }
  /** This fault and every other one found in the same expression, in source order. */
  get all(): readonly ExprCheckError[] {
    return [this, ...this.more.flatMap((e) => e.all)];
  }
  /** The error with the spec text its span points into: renders with a caret. */
  at(source: string): SpannedCheckError {
    return new SpannedCheckError(this.message, source, this.span, this.hints);
  }
  /** One error standing for several (first in source order, the rest in `more`). */
  static of(errors: readonly ExprCheckError[]): ExprCheckError {
    const flat = errors.flatMap((e) => e.all).sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    const first = flat[0]!;
    const head = new ExprCheckError(first.message, first.span, first.hints);
    head.more = flat.slice(1).map((e) => new ExprCheckError(e.message, e.span, e.hints));
    return head;
  }
}

/** Where an object (struct, array, or a scalar member) lives. */
export type Place =
  /** Bytes of the probe context itself (tracepoint record, pt_regs, args[]): direct loads. */
  | { readonly k: 'ctx'; readonly offset: number }
  /** Memory at a pointer value + offset, read with bpf_probe_read_{user,kernel}. */
  | { readonly k: 'mem'; readonly addr: TypedExpr; readonly offset: number; readonly space: MemSpace };

export type BuiltinValue = 'pid' | 'tgid' | 'uid' | 'gid' | 'cpu' | 'task' | 'comm';

export type TNode =
  | { readonly k: 'const'; readonly value: bigint }
  /** A 64-bit slot or USDT argument, then converted to the expression's type. */
  | { readonly k: 'loc'; readonly loc: ArgLocation }
  /** A scalar stored at a place; `bits` for bitfields (shift within the loaded bytes). */
  | { readonly k: 'load'; readonly place: Place; readonly bits?: { readonly shift: number; readonly size: number } }
  /** A struct or array object at a place (not a scalar). */
  | { readonly k: 'obj'; readonly place: Place }
  /** The address of a place in memory (`&p->x`, an array decaying to a pointer, `args`, `ctx`). */
  | { readonly k: 'addr'; readonly place: Place }
  | { readonly k: 'builtin'; readonly name: BuiltinValue }
  | { readonly k: 'latency' }
  | { readonly k: 'entry'; readonly index: number }
  | { readonly k: 'str'; readonly bytes: readonly number[] }
  /** A tracepoint `__data_loc char[]` field: a u32 at `offset` locating the string in the record. */
  | { readonly k: 'dataloc'; readonly offset: number; readonly relLoc: boolean }
  | { readonly k: 'conv'; readonly operand: TypedExpr }
  | { readonly k: 'unary'; readonly op: '-' | '~' | '!'; readonly operand: TypedExpr }
  /** Arithmetic/bitwise/shift in the expression's type (operands already converted, except shift counts). */
  | { readonly k: 'arith'; readonly op: ArithOp; readonly left: TypedExpr; readonly right: TypedExpr }
  | { readonly k: 'cmp'; readonly op: CmpOp; readonly signed: boolean; readonly left: TypedExpr; readonly right: TypedExpr }
  | { readonly k: 'logical'; readonly op: '&&' | '||'; readonly left: TypedExpr; readonly right: TypedExpr }
  | { readonly k: 'ternary'; readonly cond: TypedExpr; readonly then: TypedExpr; readonly else: TypedExpr }
  | { readonly k: 'strcmp'; readonly literal: readonly number[]; readonly operand: TypedExpr };

export type ArithOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|';
export type CmpOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface TypedExpr {
  readonly expr: Expr;
  readonly type: CType;
  /** Where the value points when used as an address (pointers: the pointer's own space). */
  readonly space: MemSpace;
  readonly node: TNode;
  /** A raw 64-bit value with no type information (argN/retval without signature or BTF). */
  readonly untyped?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

export function checkExpr(e: Expr, ctx: ProbeContext): TypedExpr {
  return new Checker(ctx).check(e);
}

/** Resolve a type written in a spec (cast, signature, argdist type list). */
export function resolveTypeName(t: TypeName, ctx: ProbeContext, user = ctx.userMemory): CType {
  return new Checker(ctx).typeName(t, user);
}

/** For `%s`, STRCMP and string keys: a pointer, a char array, a string, or an untyped u64. */
export function requirePointerOrString(te: TypedExpr, what: string): void {
  if (isStringLike(te)) return;
  throw new ExprCheckError(
    `${what} needs a pointer, got ${formatType(te.type)}`,
    te.expr.span,
    te.type.kind === 'int' ? [`cast it if it is an address: (char *)${'…'}`] : [],
  );
}

/** A value that fits a register (integers, pointers, arrays decaying to pointers in memory). */
export function requireScalar(te: TypedExpr, what: string): void {
  if (isScalar(te.type)) return;
  if (te.type.kind === 'string' || te.node.k === 'dataloc') {
    throw new ExprCheckError(`${what} needs a number, got a string (${formatType(te.type)})`, te.expr.span, ['use it with %s or STRCMP']);
  }
  if (te.type.kind === 'array' && te.node.k === 'obj' && te.node.place.k === 'mem') return;
  throw new ExprCheckError(`${what} needs a number or a pointer, got ${formatType(te.type)}`, te.expr.span);
}

export function isStringLike(te: TypedExpr): boolean {
  const t = te.type;
  return t.kind === 'ptr' || t.kind === 'string' || t.kind === 'array' || (t.kind === 'int' && t.size === 8 && te.untyped === true);
}

// ---------------------------------------------------------------------------------------------

const ERR = (msg: string, span: SourceSpan, hints: readonly string[] = []): never => {
  throw new ExprCheckError(msg, span, hints);
};

function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates, 1);
  return s.length ? `; did you mean '${s[0]}'?` : '';
}

const ARITH_OPS: ReadonlySet<string> = new Set(['*', '/', '%', '+', '-', '<<', '>>', '&', '^', '|']);
const CMP_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '==', '!=']);

class Checker {
  readonly #tpFields = new Map<string, TracepointField>();
  #tpRecord: RecordType | undefined;

  constructor(readonly ctx: ProbeContext) {}

  /** Check independent operands, all of them even when one fails (every fault is reported). */
  private checkEach(exprs: readonly Expr[]): TypedExpr[] {
    const out: TypedExpr[] = [];
    const errors: ExprCheckError[] = [];
    for (const x of exprs) {
      try {
        out.push(this.check(x));
      } catch (err) {
        if (err instanceof ExprCheckError) errors.push(err);
        else throw err;
      }
    }
    if (errors.length > 0) throw ExprCheckError.of(errors);
    return out;
  }

  check(e: Expr): TypedExpr {
    switch (e.kind) {
      case 'int':
        return { expr: e, type: literalType(e.value, e.suffix, e.radix), space: 'kernel', node: { k: 'const', value: e.value } };
      case 'char': {
        const v = charSigned() && e.value > 127 ? BigInt(e.value - 256) : BigInt(e.value);
        return { expr: e, type: INT, space: 'kernel', node: { k: 'const', value: v } };
      }
      case 'string':
        return { expr: e, type: { kind: 'string', size: e.bytes.length + 1 }, space: 'kernel', node: { k: 'str', bytes: e.bytes } };
      case 'ident':
        return this.ident(e.name, e);
      case 'arg':
        return this.arg(e.index, e, e.user);
      case 'retval':
        return this.retval(e);
      case 'latency':
        if (!this.ctx.entry?.latency) {
          return ERR('$latency is only available in return probes', e.span, ["use r:… (argdist -H 'r::f():u64:$latency')"]);
        }
        return { expr: e, type: int(8, false, 'u64'), space: 'kernel', node: { k: 'latency' } };
      case 'entry':
        return this.entryParam(e.name, e);
      case 'args': {
        const rec = this.tracepointRecord(e.span);
        return { expr: e, type: ptr(rec, false), space: 'kernel', node: { k: 'addr', place: { k: 'ctx', offset: 0 } } };
      }
      case 'ctx': {
        if (!isPtRegsSite(this.ctx.site)) {
          return ERR(`ctx is struct pt_regs * only in kprobes, uprobes and USDT probes`, e.span);
        }
        const regs = this.ctx.btf?.idsByName('pt_regs', 'struct')[0];
        const to: CType =
          regs !== undefined ? fromBtf(this.ctx.btf!, regs) : { kind: 'struct', name: 'pt_regs', size: 0, members: () => [], origin: 'btf', incomplete: true };
        return { expr: e, type: ptr(to, false), space: 'kernel', node: { k: 'addr', place: { k: 'ctx', offset: 0 } } };
      }
      case 'builtin':
        return this.builtin(e);
      case 'member':
        return this.member(e);
      case 'index':
        return this.index(e);
      case 'strcmp': {
        const operand = this.check(e.operand);
        requirePointerOrString(operand, 'STRCMP');
        return { expr: e, type: INT, space: 'kernel', node: { k: 'strcmp', literal: e.literal.bytes, operand } };
      }
      case 'call':
        return ERR(`unknown function '${e.callee}'`, e.calleeSpan, ['the functions are STRCMP("text", expr) and $entry(param)']);
      case 'cast':
        return this.cast(e);
      case 'unary':
        return this.unary(e);
      case 'binary':
        return this.binary(e);
      case 'ternary':
        return this.ternary(e);
      default:
        return assertNever(e, 'expression');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Names

  private params(): { names: readonly string[]; types: (CType | undefined)[]; from: 'signature' | 'btf' | 'none' } {
    const sig = this.ctx.signature;
    if (sig && sig.length > 0) {
      return { names: sig.map((p) => p.name), types: sig.map((p) => this.paramType(p)), from: 'signature' };
    }
    const proto = kernelProto(this.ctx);
    if (proto && this.ctx.btf) {
      return { names: proto.params.map((p) => p.name), types: proto.params.map((p) => fromBtf(this.ctx.btf!, p.type)), from: 'btf' };
    }
    return { names: [], types: [], from: 'none' };
  }

  private paramType(p: Param): CType {
    return this.typeName(p.type, this.ctx.userMemory || p.type.user);
  }

  private ident(name: string, e: Expr): TypedExpr {
    const ps = this.params();
    const i = ps.names.indexOf(name);
    if (i >= 0) {
      if (isReturnSite(this.ctx.site)) {
        return ERR(`'${name}' is a parameter: its register is gone when the function returns`, e.span, [`use $entry(${name}) to read it as it was at entry`]);
      }
      return this.arg(i + 1, e, false);
    }
    const all = ps.names;
    const site = this.ctx.site;
    if (site.kind === 'raw_tracepoint') {
      const args =
        rawTracepointProto(this.ctx)
          ?.params.map((p) => p.name)
          .filter((n) => n !== '') ?? [];
      if (args.includes(name)) {
        return ERR(`unknown name '${name}'; did you mean 'args->${name}'?`, e.span, ['raw tracepoint arguments are args->name, or arg1, arg2, …']);
      }
      const s = suggest(name, args, 1);
      return ERR(`unknown name '${name}'${s.length ? `; did you mean 'args->${s[0]}'?` : ''}`, e.span, [
        args.length ? `raw tracepoint arguments are args->name: ${args.join(', ')}` : 'use arg1, arg2, …',
      ]);
    }
    if (site.kind === 'tracepoint') {
      if (site.fields.some((f) => f.name === name)) {
        return ERR(`unknown name '${name}'; did you mean 'args->${name}'?`, e.span, ['tracepoint fields are args->name']);
      }
      const fields = site.fields.map((f) => f.name).filter((n) => !n.startsWith('common_'));
      const s = suggest(name, fields, 1);
      return ERR(`unknown name '${name}'${s.length ? `; did you mean 'args->${s[0]}'?` : ''}`, e.span, ['tracepoint fields are args->name']);
    }
    const builtin = BUILTIN_NAMES.find((b) => b.slice(1) === name);
    if (builtin && !all.includes(name)) {
      const s = suggest(name, all, 1);
      if (s.length === 0) return ERR(`unknown name '${name}'; did you mean '${builtin}'?`, e.span, all.length ? [`parameters: ${all.join(', ')}`] : []);
    }
    const hints = all.length
      ? [`parameters: ${all.join(', ')}`]
      : [ps.from === 'none' ? 'name the parameters with a signature (p::f(int fd)) or use arg1, arg2, …' : 'use arg1, arg2, …'];
    return ERR(`unknown name '${name}'${didYouMean(name, all)}`, e.span, hints);
  }

  private arg(n: number, e: Expr, forceUser: boolean): TypedExpr {
    const site = this.ctx.site;
    let loc: ArgLocation;
    try {
      loc = argLocation(this.ctx, n);
    } catch (err) {
      if (err instanceof CheckError) return ERR(err.message, e.span, err.hints);
      throw err;
    }
    const ps = this.params();
    const proto = kernelProto(this.ctx);
    if (proto && ps.from === 'btf' && n > proto.params.length && !proto.proto.variadic) {
      const sym = 'symbol' in site ? site.symbol : '?';
      return ERR(`arg${n}: ${sym} takes ${proto.params.length} argument${proto.params.length === 1 ? '' : 's'}`, e.span);
    }
    const user = forceUser || this.ctx.userMemory || (loc.kind !== 'ctx' && loc.kind !== 'const' && loc.space === 'user');
    let type = ps.types[n - 1];
    if (type && (user || forceUser)) type = asUser(type);
    if (type && !isScalar(type)) {
      return ERR(`arg${n} is a ${formatType(type)} passed by value, which is not supported`, e.span);
    }
    const space: MemSpace = user || (type?.kind === 'ptr' && type.user) ? 'user' : 'kernel';
    if (!type) {
      if (site.kind === 'usdt' && loc.kind !== 'ctx') {
        return { expr: e, type: int(loc.size, loc.signed), space, node: { k: 'loc', loc } };
      }
      if (site.kind === 'usdt' && loc.kind === 'ctx') {
        return { expr: e, type: int(loc.size, loc.signed), space, node: { k: 'loc', loc }, untyped: loc.size === 8 };
      }
      return { expr: e, type: U64, space, node: { k: 'loc', loc }, untyped: true };
    }
    if (forceUser && type.kind === 'ptr') type = { ...type, user: true };
    return { expr: e, type, space, node: { k: 'loc', loc } };
  }

  private retval(e: Extract<Expr, { kind: 'retval' }>): TypedExpr {
    let loc: ArgLocation;
    try {
      loc = retvalLocation(this.ctx);
    } catch (err) {
      if (err instanceof CheckError) return ERR(e.dollar ? err.message.replace(/^retval\b/, '$$retval') : err.message, e.span, err.hints);
      throw err;
    }
    const proto = kernelProto(this.ctx);
    const space: MemSpace = this.ctx.userMemory ? 'user' : 'kernel';
    if (proto && this.ctx.btf && proto.ret !== 0) {
      const t = fromBtf(this.ctx.btf, proto.ret);
      if (isScalar(t)) return { expr: e, type: t, space: t.kind === 'ptr' && t.user ? 'user' : space, node: { k: 'loc', loc } };
    }
    return { expr: e, type: U64, space, node: { k: 'loc', loc }, untyped: true };
  }

  private entryParam(name: string, e: Expr & { nameSpan: SourceSpan }): TypedExpr {
    const entry = this.ctx.entry;
    if (!entry) return ERR(`$entry(${name}) is only available in return probes`, e.span);
    const i = entry.params.findIndex((p) => p.name === name);
    if (i < 0) {
      return ERR(
        `$entry(${name}): no such param${didYouMean(name, entry.available)}`,
        e.nameSpan,
        entry.available.length ? [`parameters: ${entry.available.join(', ')}`] : ['declare it in the signature: r::f(int size)'],
      );
    }
    const p = entry.params[i]!;
    return { expr: e, type: p.type, space: p.space, node: { k: 'entry', index: i } };
  }

  private builtin(e: Extract<Expr, { kind: 'builtin' }>): TypedExpr {
    const k = (name: BuiltinValue, type: CType): TypedExpr => ({ expr: e, type, space: 'kernel', node: { k: 'builtin', name } });
    switch (e.name) {
      case '$PID':
      case '$tgid':
        return k('tgid', int(4, false, 'u32'));
      case '$TID':
      case '$pid':
        return k('pid', int(4, false, 'u32'));
      case '$UID':
      case '$uid':
        return k('uid', int(4, false, 'u32'));
      case '$GID':
      case '$gid':
        return k('gid', int(4, false, 'u32'));
      case '$cpu':
        return k('cpu', int(4, false, 'u32'));
      case '$COMM':
        return k('comm', { kind: 'string', size: 16 });
      case '$task': {
        const btf = this.ctx.btf;
        const id = btf?.idsByName('task_struct', 'struct')[0];
        if (!btf || id === undefined) return k('task', U64);
        return k('task', ptr(fromBtf(btf, id), false));
      }
      default:
        return assertNever(e.name, 'builtin');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Tracepoint records

  private tracepointRecord(span: SourceSpan): RecordType {
    const site = this.ctx.site;
    if (site.kind === 'raw_tracepoint') return this.rawTracepointArgs(site.name, span);
    if (site.kind !== 'tracepoint') return ERR('args is only available in tracepoints (t:category:event, rawtracepoint:NAME)', span);
    if (this.#tpRecord) return this.#tpRecord;
    const user = site.category === 'syscalls';
    const members: Member[] = [];
    let size = 0;
    for (const f of site.fields) {
      this.#tpFields.set(f.name, f);
      members.push({ name: f.name, bitOffset: f.offset * 8, bitSize: 0, type: this.fieldType(f, user) });
      size = Math.max(size, f.offset + f.size);
    }
    this.#tpRecord = makeRecord('struct', `trace_event_raw_${site.event}`, size, members, 'tracepoint');
    return this.#tpRecord;
  }

  /**
   * A raw tracepoint's `args`: its arguments as a struct of u64 slots, each member named and
   * typed from BTF (`btf_trace_<name>`) and read from the low bytes of its slot, as the
   * program's context holds them (little-endian). Pointers in them are kernel memory.
   */
  private rawTracepointArgs(name: string | undefined, span: SourceSpan): RecordType {
    if (this.#tpRecord) return this.#tpRecord;
    const btf = this.ctx.btf;
    const tp = rawTracepointProto(this.ctx);
    if (!btf || !tp || name === undefined) {
      const why = !btf ? 'kernel BTF is not available' : `kernel BTF has no btf_trace_${name ?? '?'}`;
      return ERR(`args: the arguments of raw tracepoint ${name ?? '?'} are not described (${why})`, span, ['use arg1, arg2, … (each argument as a u64)']);
    }
    if (!tp.named) {
      return ERR(`args: kernel BTF does not name the arguments of raw tracepoint ${name} (no __probestub_${name} or __traceiter_${name})`, span, [
        'use arg1, arg2, … (each argument as a u64)',
      ]);
    }
    const members: Member[] = tp.params.map((p, i) => ({ name: p.name, bitOffset: 64 * i, bitSize: 0, type: fromBtf(btf, p.type) }));
    this.#tpRecord = makeRecord('struct', `${name}_args`, 8 * members.length, members, 'tracepoint');
    return this.#tpRecord;
  }

  private fieldType(f: TracepointField, user: boolean): CType {
    if (f.dataLoc) return { kind: 'string', size: 0 };
    const text = f.cType
      .replace(/\b(const|volatile)\b/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    const arr = /^(.*?)\s*\[(\d*)\]$/.exec(text);
    if (arr) {
      const elem = this.cTypeText(arr[1]!, user) ?? int(1, false);
      const esize = Math.max(1, sizeOf(elem));
      return { kind: 'array', elem, length: f.arrayLength ?? Math.floor(f.size / esize) };
    }
    const stars = (text.match(/\*/g) ?? []).length;
    if (stars > 0) {
      let to: CType = this.cTypeText(text.replace(/\*/g, '').trim(), user) ?? VOID;
      for (let i = 1; i < stars; i++) to = ptr(to, user || /__user/.test(f.cType));
      return ptr(to, user || /__user/.test(f.cType));
    }
    // Syscall records store every argument in 8 bytes (`int dfd; size:8`): the declared type
    // says which low bytes are the value, as BCC's generated struct does.
    const declared = this.cTypeText(text, user);
    if (declared && (declared.kind === 'int' || declared.kind === 'bool') && sizeOf(declared) <= f.size) return declared;
    const size = f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8 ? f.size : 8;
    return int(size, f.signed, text);
  }

  private cTypeText(text: string, user: boolean): CType | undefined {
    const t = text.replace(/__user/g, '').trim();
    const rec = /^(struct|union)\s+(\w+)$/.exec(t);
    if (rec) return this.record(rec[1] as 'struct' | 'union', rec[2]!, user, undefined);
    const canon = t
      .replace(/^unsigned$/, 'unsigned int')
      .replace(/\bint$/, (m) => (t === 'int' || /^(unsigned|signed) int$/.test(t) ? m : ''))
      .trim();
    const b = basicType(t) ?? basicType(canon) ?? knownTypedef(t);
    if (b) return b;
    const btf = this.ctx.btf;
    const id = btf?.idsByName(t, 'typedef')[0];
    if (btf && id !== undefined) return fromBtf(btf, id, user);
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Types written in the spec

  typeName(t: TypeName, user: boolean): CType {
    let base: CType;
    const b = t.base;
    switch (b.kind) {
      case 'void':
        base = VOID;
        break;
      case 'basic': {
        const bt = basicType(b.name);
        if (!bt) return ERR(`${b.name} is not supported: BPF has no floating point`, t.span);
        base = bt;
        break;
      }
      case 'typedef': {
        const known = knownTypedef(b.name) ?? this.ctx.userTypes?.typedef(b.name);
        if (known) base = known;
        else {
          const btf = this.ctx.btf;
          const id = btf?.idsByName(b.name, 'typedef')[0];
          if (!btf || id === undefined) return ERR(`unknown type '${b.name}'`, t.span);
          base = fromBtf(btf, id, user);
        }
        break;
      }
      case 'struct':
      case 'union':
        base = this.record(b.kind, b.name, user, t.span);
        break;
      case 'enum': {
        const btf = this.ctx.btf;
        const id = btf?.idsByName(b.name, 'enum')[0];
        base = btf && id !== undefined ? fromBtf(btf, id) : int(4, false, `enum ${b.name}`);
        break;
      }
      default:
        return assertNever(b, 'type');
    }
    const u = user || t.user;
    let out = base;
    for (let i = 0; i < t.pointer; i++) out = ptr(out, u);
    return u ? asUser(out) : out;
  }

  /**
   * A struct/union by name. User probes look in the user types first, then BTF; kernel probes
   * the other way round (a kernel `struct timespec` is not glibc's on every arch, but it is on
   * these LP64 ones).
   */
  private record(kind: 'struct' | 'union', name: string, user: boolean, span: SourceSpan | undefined): RecordType {
    const fromUser = this.ctx.userTypes?.record(kind, name);
    const fromKernel = (): RecordType | undefined => {
      const btf = this.ctx.btf;
      const id = btf?.idsByName(name, kind)[0];
      if (!btf || id === undefined) return undefined;
      const t = fromBtf(btf, id, user);
      return isRecord(t) ? t : undefined;
    };
    const r = user ? (fromUser ?? fromKernel()) : (fromKernel() ?? fromUser);
    if (r) return r;
    if (!span) return { kind, name, size: 0, members: () => [], origin: 'btf', incomplete: true };
    const names = [...(this.ctx.userTypes?.names() ?? []).map((n) => n.replace(/^\w+ /, ''))];
    return ERR(
      `unknown type '${kind} ${name}'${didYouMean(name, names)}`,
      span,
      this.ctx.btf ? ['user-space structs need a header (-I file.h) unless they are built in'] : ['kernel BTF (/sys/kernel/btf/vmlinux) is not available'],
    );
  }

  // -------------------------------------------------------------------------------------------
  // Member access, indexing, dereference

  private member(e: Extract<Expr, { kind: 'member' }>): TypedExpr {
    const obj = this.check(e.object);
    let rec: RecordType;
    let place: Place;
    if (e.arrow) {
      const t = obj.type;
      if (t.kind !== 'ptr' || !isRecord(t.to)) {
        const hint = t.kind === 'int' ? [`cast it first: ((struct name *)${'…'})->${e.member}`] : [];
        return ERR(`'->' needs a pointer to a struct, got ${formatType(t)}`, e.object.span, hint);
      }
      rec = t.to;
      place = this.pointee(obj);
    } else {
      if (!isRecord(obj.type)) {
        const hint = obj.type.kind === 'ptr' ? [`use '->' on a pointer`] : [];
        return ERR(`'.' needs a struct, got ${formatType(obj.type)}`, e.object.span, hint);
      }
      rec = obj.type;
      if (obj.node.k !== 'obj') return ERR(`cannot take members of this ${formatType(obj.type)} value`, e.object.span);
      place = obj.node.place;
    }
    if (rec.incomplete) return ERR(`${formatType(rec)} is incomplete: its members are unknown`, e.object.span);
    const m = findMember(rec, e.member);
    if (!m) {
      return ERR(
        `unknown member '${e.member}' in ${formatType(rec)}${didYouMean(
          e.member,
          rec.members().map((x) => x.name),
        )}`,
        e.memberSpan,
      );
    }
    const at = shift(place, Math.floor(m.bitOffset / 8));
    const space = place.k === 'mem' ? place.space : 'kernel';
    if (rec.origin === 'tracepoint') {
      const f = this.#tpFields.get(m.name);
      if (f?.dataLoc) {
        return { expr: e, type: { kind: 'string', size: 0 }, space: 'kernel', node: { k: 'dataloc', offset: f.offset, relLoc: f.relLoc === true } };
      }
    }
    return this.placed(e, m.type, at, space, m.bitSize ? { shift: m.bitOffset % 8, size: m.bitSize } : undefined);
  }

  /** The place a pointer points to. */
  private pointee(p: TypedExpr): Place {
    if (p.node.k === 'addr') return p.node.place;
    const space: MemSpace = p.type.kind === 'ptr' ? (p.type.user ? 'user' : 'kernel') : p.space;
    return { k: 'mem', addr: p, offset: 0, space };
  }

  /** A typed object at a place: scalars load, aggregates stay objects. */
  private placed(e: Expr, type: CType, place: Place, space: MemSpace, bits?: { shift: number; size: number }): TypedExpr {
    const sp: MemSpace = type.kind === 'ptr' ? (type.user ? 'user' : space === 'user' ? 'user' : 'kernel') : space;
    const t = space === 'user' && type.kind === 'ptr' && !type.user ? asUser(type) : type;
    if (isScalar(t)) {
      return bits ? { expr: e, type: t, space: sp, node: { k: 'load', place, bits } } : { expr: e, type: t, space: sp, node: { k: 'load', place } };
    }
    if (t.kind === 'void' || t.kind === 'func') return ERR(`cannot read a value of type ${formatType(t)}`, e.span);
    return { expr: e, type: t, space: sp, node: { k: 'obj', place } };
  }

  private index(e: Extract<Expr, { kind: 'index' }>): TypedExpr {
    const [obj, idx] = this.checkEach([e.object, e.index]) as [TypedExpr, TypedExpr];
    if (!isInteger(idx.type)) return ERR(`an index must be an integer, got ${formatType(idx.type)}`, e.index.span);
    const c = constValue(idx);
    const t = obj.type;
    if (t.kind === 'array') {
      if (obj.node.k !== 'obj') return ERR(`cannot index this ${formatType(t)} value`, e.object.span);
      if (c === undefined) return ERR('array index must be a constant', e.index.span);
      if (c < 0n || (t.length > 0 && c >= BigInt(t.length))) {
        return ERR(`index ${c} is out of bounds for ${formatType(t)}`, e.index.span);
      }
      const esize = sizeOf(t.elem);
      return this.placed(e, t.elem, shift(obj.node.place, Number(c) * esize), obj.node.place.k === 'mem' ? obj.node.place.space : 'kernel');
    }
    if (t.kind === 'ptr') {
      const esize = sizeOf(t.to);
      if (esize === 0) return ERR(`cannot index a ${formatType(t)}`, e.object.span);
      const space: MemSpace = t.user ? 'user' : 'kernel';
      if (c !== undefined) {
        const base = this.pointee(obj);
        return this.placed(e, t.to, shift(base, Number(c) * esize), space);
      }
      const addr = this.pointerAdd(e, obj, idx, '+');
      return this.placed(e, t.to, { k: 'mem', addr, offset: 0, space }, space);
    }
    if (t.kind === 'string' && obj.node.k === 'str' && c !== undefined) {
      const bytes = obj.node.bytes;
      const v = c >= 0n && c < BigInt(bytes.length) ? bytes[Number(c)]! : 0;
      return { expr: e, type: int(1, charSigned(), 'char'), space: 'kernel', node: { k: 'const', value: BigInt(charSigned() && v > 127 ? v - 256 : v) } };
    }
    return ERR(`cannot index a ${formatType(t)}`, e.object.span, t.kind === 'int' ? ['cast it to a pointer first'] : []);
  }

  // -------------------------------------------------------------------------------------------
  // Operators

  private cast(e: Extract<Expr, { kind: 'cast' }>): TypedExpr {
    const operand = this.check(e.operand);
    const userish = e.type.user || operand.space === 'user' || this.ctx.userMemory;
    let to = this.typeName(e.type, userish);
    if (to.kind === 'void') return ERR('cannot cast to void', e.type.span);
    if (!isScalar(to))
      return ERR(
        `cannot cast to ${formatType(to)}: only to integers and pointers`,
        e.type.span,
        isRecord(to) ? [`cast to a pointer: (${formatType(to)} *)`] : [],
      );
    const from = this.decay(operand, 'a cast');
    if (to.kind === 'ptr' && !to.user && from.space === 'user') to = { ...to, user: true };
    const space: MemSpace = to.kind === 'ptr' ? (to.user ? 'user' : 'kernel') : from.space;
    return { expr: e, type: to, space, node: { k: 'conv', operand: from } };
  }

  /** An operand in a scalar context: arrays in memory decay to pointers; other aggregates are errors. */
  private decay(te: TypedExpr, what: string): TypedExpr {
    if (isScalar(te.type)) return te;
    if (te.type.kind === 'array' && te.node.k === 'obj') {
      if (te.node.place.k === 'ctx') {
        return ERR(`${what} needs a number, got an array in the probe's record (${formatType(te.type)})`, te.expr.span, [
          'use it with %s or STRCMP, or index it',
        ]);
      }
      const space = te.node.place.space;
      return { expr: te.expr, type: ptr(te.type.elem, space === 'user'), space, node: { k: 'addr', place: te.node.place } };
    }
    if (te.type.kind === 'string' || te.node.k === 'dataloc') {
      return ERR(`${what} needs a number, got a string`, te.expr.span, ['compare strings with STRCMP("text", expr)']);
    }
    return ERR(`${what} needs a number, got ${formatType(te.type)}`, te.expr.span);
  }

  private unary(e: Extract<Expr, { kind: 'unary' }>): TypedExpr {
    if (e.op === '&') {
      const o = this.check(e.operand);
      const place = o.node.k === 'load' || o.node.k === 'obj' ? o.node.place : undefined;
      if (!place || place.k !== 'mem' || (o.node.k === 'load' && o.node.bits)) {
        return ERR('can only take the address of something in memory (&p->member)', e.operand.span);
      }
      return { expr: e, type: ptr(o.type, place.space === 'user'), space: place.space, node: { k: 'addr', place } };
    }
    if (e.op === '*') {
      const p = this.decay(this.check(e.operand), "'*'");
      if (p.type.kind !== 'ptr') return ERR(`'*' needs a pointer, got ${formatType(p.type)}`, e.operand.span);
      if (p.type.to.kind === 'void') return ERR('cannot dereference a void *', e.operand.span, ['cast it: *(u64 *)p']);
      return this.placed(e, p.type.to, this.pointee(p), p.type.user ? 'user' : 'kernel');
    }
    const o = this.decay(this.check(e.operand), `'${e.op}'`);
    if (e.op === '!') return { expr: e, type: INT, space: 'kernel', node: { k: 'unary', op: '!', operand: o } };
    if (!isInteger(o.type)) return ERR(`'${e.op}' needs an integer, got ${formatType(o.type)}`, e.operand.span);
    const p = promote(o);
    return { expr: e, type: p.type, space: 'kernel', node: { k: 'unary', op: e.op, operand: p } };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): TypedExpr {
    const op: BinaryOp = e.op;
    const [cl, cr] = this.checkEach([e.left, e.right]) as [TypedExpr, TypedExpr];
    if (op === '&&' || op === '||') {
      const l = this.decay(cl, `'${op}'`);
      const r = this.decay(cr, `'${op}'`);
      return { expr: e, type: INT, space: 'kernel', node: { k: 'logical', op, left: l, right: r } };
    }
    const l = this.decay(cl, `'${op}'`);
    const r = this.decay(cr, `'${op}'`);
    const lp = l.type.kind === 'ptr';
    const rp = r.type.kind === 'ptr';
    if (CMP_OPS.has(op)) {
      if (lp || rp) {
        // Pointers compare as unsigned addresses (with each other or with integers, like 0).
        return { expr: e, type: INT, space: 'kernel', node: { k: 'cmp', op: op as CmpOp, signed: false, left: convTo(l, U64), right: convTo(r, U64) } };
      }
      const [a, b, t] = usual(l, r);
      return { expr: e, type: INT, space: 'kernel', node: { k: 'cmp', op: op as CmpOp, signed: (t as IntType).signed, left: a, right: b } };
    }
    if (!ARITH_OPS.has(op)) return ERR(`unknown operator ${op}`, e.span);
    if (lp || rp) {
      if (op === '+' && lp && !rp) return this.pointerAdd(e, l, r, '+');
      if (op === '+' && rp && !lp) return this.pointerAdd(e, r, l, '+');
      if (op === '-' && lp && !rp) return this.pointerAdd(e, l, r, '-');
      if (op === '-' && lp && rp) {
        const size = sizeOf((l.type as PtrType).to) || 1;
        const diff: TypedExpr = { expr: e, type: LONG, space: 'kernel', node: { k: 'arith', op: '-', left: convTo(l, LONG), right: convTo(r, LONG) } };
        if (size === 1) return diff;
        return { expr: e, type: LONG, space: 'kernel', node: { k: 'arith', op: '/', left: diff, right: constant(e, BigInt(size), LONG) } };
      }
      if (op === '&' || op === '|' || op === '^') {
        // Address arithmetic on raw pointers (alignment masks): do it as u64.
        const [a, b] = [convTo(l, U64), convTo(r, U64)];
        return { expr: e, type: U64, space: l.space, node: { k: 'arith', op, left: a, right: b } };
      }
      return ERR(`'${op}' needs integers, got ${formatType(lp ? l.type : r.type)}`, (lp ? e.left : e.right).span);
    }
    if (!isInteger(l.type)) return ERR(`'${op}' needs an integer, got ${formatType(l.type)}`, e.left.span);
    if (!isInteger(r.type)) return ERR(`'${op}' needs an integer, got ${formatType(r.type)}`, e.right.span);
    if ((op === '/' || op === '%') && constValue(r) === 0n) {
      return ERR(`${op === '/' ? 'division' : 'remainder'} by zero`, e.right.span, ['a constant zero divisor is undefined in C (and BPF would give 0)']);
    }
    if (op === '<<' || op === '>>') {
      const a = promote(l);
      const b = promote(r);
      const by = constValue(b);
      const bits = BigInt((a.type as IntType).size * 8);
      if (by !== undefined && (by < 0n || by >= bits)) {
        return ERR(`shift by ${by} is out of range for ${formatType(a.type)} (0 to ${bits - 1n})`, e.right.span, [
          bits === 32n && by >= 32n && by < 64n
            ? 'shift a 64-bit value: 1UL << n'
            : 'a shift by the width or more is undefined in C (BPF would shift by the count modulo 64)',
        ]);
      }
      return { expr: e, type: a.type, space: a.space, node: { k: 'arith', op, left: a, right: b }, ...(a.untyped ? { untyped: true } : {}) };
    }
    const [a, b, t] = usual(l, r);
    const untyped = (l.untyped || r.untyped) && t.kind === 'int' && t.size === 8 && (op === '+' || op === '-' || op === '&' || op === '|');
    const space: MemSpace = l.space === 'user' || r.space === 'user' ? 'user' : 'kernel';
    return { expr: e, type: t, space, node: { k: 'arith', op: op as ArithOp, left: a, right: b }, ...(untyped ? { untyped: true } : {}) };
  }

  private pointerAdd(e: Expr, p: TypedExpr, n: TypedExpr, op: '+' | '-'): TypedExpr {
    if (!isInteger(n.type)) return ERR(`pointer ${op} needs an integer, got ${formatType(n.type)}`, n.expr.span);
    const pt = p.type as PtrType;
    const size = sizeOf(pt.to) || 1; // void * arithmetic counts bytes, like GNU C
    const off = convTo(n, LONG);
    const scaled: TypedExpr =
      size === 1 ? off : { expr: n.expr, type: LONG, space: 'kernel', node: { k: 'arith', op: '*', left: off, right: constant(n.expr, BigInt(size), LONG) } };
    const base = convTo(p, U64);
    return {
      expr: e,
      type: pt,
      space: p.space,
      node: { k: 'conv', operand: { expr: e, type: U64, space: p.space, node: { k: 'arith', op, left: base, right: convTo(scaled, U64) } } },
    };
  }

  private ternary(e: Extract<Expr, { kind: 'ternary' }>): TypedExpr {
    const [cc, ca, cb] = this.checkEach([e.cond, e.then, e.else]) as [TypedExpr, TypedExpr, TypedExpr];
    const cond = this.decay(cc, "'?:'");
    const a = this.decay(ca, "'?:'");
    const b = this.decay(cb, "'?:'");
    if (a.type.kind === 'ptr' || b.type.kind === 'ptr') {
      const t = a.type.kind === 'ptr' ? a.type : b.type;
      const space: MemSpace = a.space === 'user' || b.space === 'user' ? 'user' : 'kernel';
      return { expr: e, type: t, space, node: { k: 'ternary', cond, then: convTo(a, t), else: convTo(b, t) } };
    }
    const [x, y, t] = usual(a, b);
    const space: MemSpace = a.space === 'user' || b.space === 'user' ? 'user' : 'kernel';
    const untyped = (a.untyped || b.untyped) && t.kind === 'int' && t.size === 8;
    return { expr: e, type: t, space, node: { k: 'ternary', cond, then: x, else: y }, ...(untyped ? { untyped: true } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------
// C conversions

function shift(p: Place, by: number): Place {
  return p.k === 'ctx' ? { k: 'ctx', offset: p.offset + by } : { ...p, offset: p.offset + by };
}

function constant(e: Expr, value: bigint, type: CType): TypedExpr {
  return { expr: e, type, space: 'kernel', node: { k: 'const', value } };
}

/** The value of a constant expression (literals, and conversions of them), normalised to its type. */
export function constValue(te: TypedExpr): bigint | undefined {
  const n = te.node;
  if (n.k === 'const') return normalize(n.value, te.type);
  if (n.k === 'conv') {
    const v = constValue(n.operand);
    return v === undefined ? undefined : normalize(v, te.type);
  }
  if (n.k === 'unary' && n.op === '-') {
    const v = constValue(n.operand);
    return v === undefined ? undefined : normalize(-v, te.type);
  }
  return undefined;
}

/** A value as its type holds it: truncated to the width, sign- or zero-extended. */
export function normalize(v: bigint, t: CType): bigint {
  if (t.kind === 'bool') return v !== 0n ? 1n : 0n;
  const { size, signed } = isScalar(t) ? scalarRep(t) : { size: 8 as const, signed: false };
  return signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}

function literalType(v: bigint, suffix: string, radix: string): IntType {
  const fits = (bits: number, signed: boolean) => v < (signed ? 1n << BigInt(bits - 1) : 1n << BigInt(bits));
  const u = suffix.includes('u');
  const l = suffix.includes('l');
  const decimal = radix === 'decimal';
  if (!l && !u && fits(32, true)) return INT;
  if (!l && (u || !decimal) && fits(32, false)) return int(4, false, 'unsigned int');
  if (!u && fits(64, true)) return int(8, true, 'long');
  return int(8, false, 'unsigned long');
}

function convTo(te: TypedExpr, to: CType): TypedExpr {
  if (te.type === to) return te;
  if (te.type.kind === 'int' && to.kind === 'int' && te.type.size === to.size && te.type.signed === to.signed) return te;
  if (te.type.kind === 'ptr' && to.kind === 'ptr') return te;
  if (te.type.kind === 'ptr' && to.kind === 'int' && to.size === 8) return te;
  return {
    expr: te.expr,
    type: to,
    space: te.space,
    node: { k: 'conv', operand: te },
    ...(te.untyped && to.kind === 'int' && to.size === 8 ? { untyped: true } : {}),
  };
}

/** Integer promotion: anything narrower than int (and bool) becomes int. */
function promote(te: TypedExpr): TypedExpr {
  const t = te.type;
  if (t.kind === 'bool' || (t.kind === 'int' && t.size < 4)) return convTo(te, INT);
  return te;
}

/** The usual arithmetic conversions (LP64): both operands converted to the common type. */
function usual(l: TypedExpr, r: TypedExpr): [TypedExpr, TypedExpr, CType] {
  const a = promote(l);
  const b = promote(r);
  const ta = a.type as IntType;
  const tb = b.type as IntType;
  let t: IntType;
  if (ta.size === tb.size && ta.signed === tb.signed) t = ta;
  else if (ta.size !== tb.size) t = ta.size > tb.size ? ta : tb;
  else t = ta.signed ? tb : ta; // same size: the unsigned one
  return [convTo(a, t), convTo(b, t), t];
}
