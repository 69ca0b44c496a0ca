/**
 * AST builders called by the nearley postprocessors. They are pure: a postprocessor may run on a
 * parse path that is later abandoned, so they never throw. A combination the grammar cannot rule
 * out by shape alone (`int char`, `$entry` without parentheses) is refused with nearley's
 * `reject`, which simply removes that path.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import type {
  ArgRef,
  BaseType,
  BasicTypeName,
  BinaryExpr,
  BinaryOp,
  BuiltinName,
  CastExpr,
  CharLiteral,
  Expr,
  IntLiteral,
  IntRadix,
  IntSuffix,
  Param,
  SourceSpan,
  StringLiteral,
  TernaryExpr,
  TypeName,
  UnaryExpr,
  UnaryOp,
} from '../ast.js';
import { decodeBody, type Tok } from './lexer.js';

type D = any[];

export function tokSpan(t: Tok): SourceSpan {
  return { start: t.offset, end: t.offset + t.text.length };
}

function join(a: SourceSpan, b: SourceSpan): SourceSpan {
  return { start: a.start, end: b.end };
}

/** First token of an EBNF subexpression (`("+" | "-")` yields `[tok]`). */
function tok(x: any): Tok {
  return (Array.isArray(x) ? tok(x[0]) : x) as Tok;
}

/** `x ("," x):*` → x[] */
export function list(d: D): any[] {
  return [d[0], ...(d[1] as any[][]).map((p) => p[1])];
}

export function binary(d: D): BinaryExpr {
  const left = d[0] as Expr;
  const right = d[2] as Expr;
  return { kind: 'binary', op: tok(d[1]).text as BinaryOp, left, right, span: join(left.span, right.span) };
}

export function ternary(d: D): TernaryExpr {
  const cond = d[0] as Expr;
  const otherwise = d[4] as Expr;
  return { kind: 'ternary', cond, then: d[2] as Expr, else: otherwise, span: join(cond.span, otherwise.span) };
}

export function cast(d: D): CastExpr {
  const operand = d[3] as Expr;
  return { kind: 'cast', type: d[1] as TypeName, operand, span: join(tokSpan(d[0] as Tok), operand.span) };
}

export function unary(d: D): UnaryExpr {
  const t = tok(d[0]);
  const operand = d[1] as Expr;
  return { kind: 'unary', op: t.text as UnaryOp, operand, span: join(tokSpan(t), operand.span) };
}

export function member(d: D): Expr {
  const object = d[0] as Expr;
  const name = d[2] as Tok;
  return {
    kind: 'member',
    object,
    member: name.text,
    arrow: (d[1] as Tok).text === '->',
    memberSpan: tokSpan(name),
    span: join(object.span, tokSpan(name)),
  };
}

export function index(d: D): Expr {
  const object = d[0] as Expr;
  return { kind: 'index', object, index: d[2] as Expr, span: join(object.span, tokSpan(d[3] as Tok)) };
}

/** `( expr )`: no node of its own; the inner node's span grows to cover the parentheses. */
export function paren(d: D): Expr {
  const inner = d[1] as Expr;
  return { ...inner, span: join(tokSpan(d[0] as Tok), tokSpan(d[2] as Tok)) };
}

export function int(d: D): IntLiteral {
  const t = d[0] as Tok;
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/.exec(t.text)!;
  const digits = m[1]!;
  let radix: IntRadix = 'decimal';
  let value: bigint;
  if (/^0[xX]/.test(digits)) {
    radix = 'hex';
    value = BigInt(digits);
  } else if (digits.length > 1 && digits.startsWith('0')) {
    radix = 'octal';
    value = BigInt('0o' + digits.slice(1));
  } else {
    value = BigInt(digits);
  }
  const s = m[2]!.toLowerCase();
  const suffix = (s.includes('u') ? 'u' + s.replace('u', '') : s) as IntSuffix;
  return { kind: 'int', value, suffix, radix, span: tokSpan(t) };
}

export function char(d: D): CharLiteral {
  const t = d[0] as Tok;
  const r = decodeBody(t.text.slice(1, -1));
  return { kind: 'char', value: 'error' in r ? 0 : (r.bytes[0] ?? 0), span: tokSpan(t) };
}

export function string(d: D): StringLiteral {
  const t = d[0] as Tok;
  const r = decodeBody(t.text.slice(1, -1));
  return 'error' in r ? { kind: 'string', value: '', bytes: [], span: tokSpan(t) } : { kind: 'string', value: r.value, bytes: r.bytes, span: tokSpan(t) };
}

const ARG_RE = /^arg([1-9][0-9]{0,8})$/;

export function ident(d: D): Expr {
  const t = d[0] as Tok;
  const span = tokSpan(t);
  const m = ARG_RE.exec(t.text);
  if (m) return { kind: 'arg', index: Number(m[1]), user: false, span } satisfies ArgRef;
  switch (t.text) {
    case 'retval':
      return { kind: 'retval', dollar: false, span };
    case 'args':
      return { kind: 'args', span };
    case 'ctx':
      return { kind: 'ctx', span };
    default:
      return { kind: 'ident', name: t.text, span };
  }
}

export function argUser(d: D, _l: number, reject: object): ArgRef | object {
  const t = d[0] as Tok;
  const m = /^arg([1-9][0-9]{0,8})@user$/.exec(t.text);
  if (!m) return reject;
  return { kind: 'arg', index: Number(m[1]), user: true, span: tokSpan(t) };
}

export function dollar(d: D, _l: number, reject: object): Expr | object {
  const t = d[0] as Tok;
  const span = tokSpan(t);
  switch (t.text) {
    case '$entry':
      return reject;
    case '$retval':
      return { kind: 'retval', dollar: true, span };
    case '$latency':
      return { kind: 'latency', span };
    default:
      return { kind: 'builtin', name: t.text as BuiltinName, span };
  }
}

export function entry(d: D, _l: number, reject: object): Expr | object {
  const t = d[0] as Tok;
  if (t.text !== '$entry') return reject;
  const name = d[2] as Tok;
  return { kind: 'entry', name: name.text, nameSpan: tokSpan(name), span: join(tokSpan(t), tokSpan(d[3] as Tok)) };
}

export function call(d: D): Expr {
  const callee = d[0] as Tok;
  const args = d[2] as Expr[];
  const span = join(tokSpan(callee), tokSpan(d[3] as Tok));
  const first = args[0];
  if (callee.text === 'STRCMP' && args.length === 2 && first?.kind === 'string') {
    return { kind: 'strcmp', literal: first, operand: args[1]!, span };
  }
  return { kind: 'call', callee: callee.text, calleeSpan: tokSpan(callee), args, span };
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Canonical name of a sequence of C basic-type words, or undefined when it is not a type. */
export function canonicalBasic(words: readonly string[]): BaseType | undefined {
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count('unsigned');
  const signed = count('signed');
  const longs = count('long');
  const others = words.filter((w) => !['unsigned', 'signed', 'long'].includes(w));
  if (unsigned + signed > 1 || longs > 2 || others.length > 1) return undefined;
  const other = others[0];
  const sign = unsigned ? 'unsigned ' : '';
  const basic = (name: BasicTypeName): BaseType => ({ kind: 'basic', name });
  switch (other) {
    case 'void':
      return unsigned || signed || longs ? undefined : { kind: 'void' };
    case '_Bool':
    case 'float':
      return unsigned || signed || longs ? undefined : basic(other);
    case 'double':
      if (unsigned || signed || longs > 1) return undefined;
      return basic(longs ? 'long double' : 'double');
    case 'char':
      if (longs) return undefined;
      return basic(unsigned ? 'unsigned char' : signed ? 'signed char' : 'char');
    case 'short':
      if (longs) return undefined;
      return basic(`${sign}short` as BasicTypeName);
    case 'int':
    case undefined:
      if (longs === 2) return basic(`${sign}long long` as BasicTypeName);
      if (longs === 1) return basic(`${sign}long` as BasicTypeName);
      if (other === undefined && !unsigned && !signed) return undefined;
      return basic(`${sign}int` as BasicTypeName);
    default:
      return undefined;
  }
}

/** A base type with the span of its words. */
export interface RawBase {
  readonly base: BaseType;
  readonly span: SourceSpan;
}

function spanOf(toks: readonly Tok[]): SourceSpan {
  return join(tokSpan(toks[0]!), tokSpan(toks[toks.length - 1]!));
}

export function basicBase(d: D, _l: number, reject: object): RawBase | object {
  const toks = d[0] as Tok[];
  const base = canonicalBasic(toks.map((t) => t.text));
  return base ? { base, span: spanOf(toks) } : reject;
}

export function knownTypedef(d: D): RawBase {
  const t = d[0] as Tok;
  return { base: { kind: 'typedef', name: t.text, known: true }, span: tokSpan(t) };
}

export function tagged(d: D): RawBase {
  const kw = d[0] as Tok;
  const name = d[1] as Tok;
  return { base: { kind: kw.text as 'struct' | 'union' | 'enum', name: name.text }, span: join(tokSpan(kw), tokSpan(name)) };
}

/** `quals base quals stars`, where base is a RawBase (strict) or an identifier token (typedef). */
export function typeName(d: D): TypeName {
  const before = d[0] as Tok[];
  const after = d[2] as Tok[];
  const stars = d[3] as Tok[];
  const raw = d[1] as RawBase | Tok;
  const b: RawBase = 'offset' in raw ? { base: { kind: 'typedef', name: raw.text, known: false }, span: tokSpan(raw) } : raw;
  const quals = [...before, ...after].map((t) => t.text);
  const first = before[0] ? tokSpan(before[0]) : b.span;
  const lastTok = stars[stars.length - 1] ?? after[after.length - 1];
  const last = lastTok ? tokSpan(lastTok) : b.span;
  return {
    base: b.base,
    pointer: stars.length,
    const: quals.includes('const'),
    volatile: quals.includes('volatile'),
    user: quals.includes('__user'),
    span: join(first, last),
  };
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

/** A parameter as parsed: unnamed parameters are diagnosed by parse.ts. */
export type RawParam = Param | { readonly unnamed: true; readonly type: TypeName; readonly span: SourceSpan };

export function param(d: D): Param {
  const type = d[0] as TypeName;
  const name = d[1] as Tok;
  return { type, name: name.text, nameSpan: tokSpan(name), span: join(type.span, tokSpan(name)) };
}

export function unnamedParam(d: D): RawParam {
  const type = d[0] as TypeName;
  return { unnamed: true, type, span: type.span };
}

export interface RawSignature {
  readonly params: readonly RawParam[];
  readonly span: SourceSpan;
}

export function signature(d: D): RawSignature {
  return { params: d[1] as RawParam[], span: join(tokSpan(d[0] as Tok), tokSpan(d[2] as Tok)) };
}

// ---------------------------------------------------------------------------------------------
// Trace tails and argdist tails
// ---------------------------------------------------------------------------------------------

export interface RawAction {
  readonly format: Tok;
  readonly args: readonly Expr[];
  readonly span: SourceSpan;
}

export interface RawTraceTail {
  readonly signature?: RawSignature;
  readonly predicate?: { readonly expr: Expr; readonly span: SourceSpan };
  readonly action?: RawAction;
}

export function predicate(d: D): { expr: Expr; span: SourceSpan } {
  return { expr: d[1] as Expr, span: join(tokSpan(d[0] as Tok), tokSpan(d[2] as Tok)) };
}

/** action -> %string (","):? exprList (","):?  |  %string (","):? */
export function action(d: D): RawAction {
  const format = d[0] as Tok;
  const args = (Array.isArray(d[2]) ? d[2] : []) as Expr[];
  const lastArg = args[args.length - 1];
  return { format, args, span: lastArg ? join(tokSpan(format), lastArg.span) : tokSpan(format) };
}

export function traceTail(signature: RawSignature | null, rest: D): RawTraceTail {
  const pred = rest[0] as RawTraceTail['predicate'] | null;
  const act = rest[1] as RawAction | null;
  return {
    ...(signature ? { signature } : {}),
    ...(pred ? { predicate: pred } : {}),
    ...(act ? { action: act } : {}),
  };
}

export interface RawArgdistTail {
  readonly signature: RawSignature;
  /** undefined when the part is absent; [] when present but empty. */
  readonly types?: readonly TypeName[];
  readonly typesColon?: SourceSpan;
  readonly exprs?: readonly Expr[];
  readonly exprsColon?: SourceSpan;
  readonly filter?: Expr | null;
  readonly filterColon?: SourceSpan;
}

/** argdistTail -> signature (":" types (":" exprs (":" filter):?):?):? */
export function argdistTail(d: D): RawArgdistTail {
  const signature = d[0] as RawSignature;
  const more = d[1] as D | null;
  if (!more) return { signature };
  const types = (more[1] ?? []) as TypeName[];
  const r1 = more[2] as D | null;
  if (!r1) return { signature, types, typesColon: tokSpan(more[0] as Tok) };
  const exprs = (r1[1] ?? []) as Expr[];
  const r2 = r1[2] as D | null;
  if (!r2) return { signature, types, typesColon: tokSpan(more[0] as Tok), exprs, exprsColon: tokSpan(r1[0] as Tok) };
  return {
    signature,
    types,
    typesColon: tokSpan(more[0] as Tok),
    exprs,
    exprsColon: tokSpan(r1[0] as Tok),
    filter: (r2[1] as Expr | null) ?? null,
    filterColon: tokSpan(r2[0] as Tok),
  };
}

// ---------------------------------------------------------------------------------------------
// ':'-separated parts
// ---------------------------------------------------------------------------------------------

export interface RawPart {
  readonly text: string;
  readonly span: SourceSpan;
}

/** part -> %text:?   (the empty part gets an empty span right after the previous ':') */
export function part(d: D, loc: number): RawPart | { empty: true } {
  const t = d[0] as Tok | null;
  return t ? { text: t.text, span: tokSpan(t) } : { empty: true };
}

/** parts -> part (":" part):* */
export function parts(d: D): RawPart[] {
  const out: RawPart[] = [];
  const items: [Tok | null, RawPart | { empty: true }][] = [[null, d[0]], ...(d[1] as D[]).map((p) => [p[0], p[1]] as [Tok, RawPart | { empty: true }])];
  let pos = 0;
  for (const [colon, p] of items) {
    if (colon) pos = colon.offset + 1;
    if ('empty' in p) out.push({ text: '', span: { start: pos, end: pos } });
    else {
      out.push(p);
      pos = p.span.end;
    }
  }
  return out;
}
