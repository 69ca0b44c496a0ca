/**
 * AST → canonical spec text. Parsing the printed text gives the same AST again, spans and
 * `text` fields aside (the round-trip tests check this), so the output is also what
 * `--dump=ast` shows for a spec. Parentheses are printed only where C precedence needs them.
 */
import { assertNever } from '../errors.js';
import { RAW_TRACEPOINT_WORDS } from './ast.js';
import type { ArgdistSpecAst, BaseType, Expr, FormatString, FuncPatternAst, Param, ProbeRef, StringLiteral, TraceProbeAst, TypeName } from './ast.js';

// C precedence levels, loosest first.
const TERNARY = 1;
const UNARY = 12;
const POSTFIX = 13;
const PRIMARY = 14;

const BINARY_PREC: Record<string, number> = {
  '||': 2,
  '&&': 3,
  '|': 4,
  '^': 5,
  '&': 6,
  '==': 7,
  '!=': 7,
  '<': 8,
  '<=': 8,
  '>': 8,
  '>=': 8,
  '<<': 9,
  '>>': 9,
  '+': 10,
  '-': 10,
  '*': 11,
  '/': 11,
  '%': 11,
};

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'ternary':
      return TERNARY;
    case 'binary':
      return BINARY_PREC[e.op]!;
    case 'cast':
    case 'unary':
      return UNARY;
    case 'member':
    case 'index':
      return POSTFIX;
    default:
      return PRIMARY;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function escapeChar(code: number, quote: string): string {
  switch (code) {
    case 10:
      return '\\n';
    case 9:
      return '\\t';
    case 13:
      return '\\r';
    case 92:
      return '\\\\';
    default:
      if (String.fromCharCode(code) === quote) return '\\' + quote;
      if (code < 0x20 || code === 0x7f) return `\\x${hex2(code)}`;
      return String.fromCharCode(code);
  }
}

/** A string literal, from its bytes where they differ from the UTF-8 of its characters. */
export function printString(s: StringLiteral): string {
  const enc = new TextEncoder();
  let out = '"';
  let b = 0;
  for (const ch of s.value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      out += escapeChar(code, '"');
      b += 1;
      continue;
    }
    const utf8 = enc.encode(ch);
    const same = utf8.every((x, k) => s.bytes[b + k] === x);
    if (same) {
      out += ch;
      b += utf8.length;
    } else {
      out += `\\x${hex2(code & 0xff)}`;
      b += 1;
    }
  }
  return out + '"';
}

function printBase(b: BaseType): string {
  switch (b.kind) {
    case 'void':
      return 'void';
    case 'basic':
    case 'typedef':
      return b.name;
    case 'struct':
    case 'union':
    case 'enum':
      return `${b.kind} ${b.name}`;
    default:
      return assertNever(b, 'base type');
  }
}

export function printType(t: TypeName): string {
  const words = [...(t.const ? ['const'] : []), ...(t.volatile ? ['volatile'] : []), printBase(t.base), ...(t.user ? ['__user'] : [])];
  return words.join(' ') + (t.pointer > 0 ? ' ' + '*'.repeat(t.pointer) : '');
}

export function printParam(p: Param): string {
  const type = printType(p.type);
  return type.endsWith('*') ? `${type}${p.name}` : `${type} ${p.name}`;
}

export function printSignature(ps: readonly Param[]): string {
  return `(${ps.map(printParam).join(', ')})`;
}

function wrap(e: Expr, min: number): string {
  const s = printExpr(e);
  return precedence(e) < min ? `(${s})` : s;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'int': {
      const digits = e.radix === 'hex' ? `0x${e.value.toString(16)}` : e.radix === 'octal' ? `0${e.value.toString(8)}` : e.value.toString();
      return digits + e.suffix;
    }
    case 'char':
      return `'${escapeChar(e.value, "'").replace(/^[\x80-\xff]$/, (c) => `\\x${hex2(c.charCodeAt(0))}`)}'`;
    case 'string':
      return printString(e);
    case 'ident':
      return e.name;
    case 'arg':
      return `arg${e.index}${e.user ? '@user' : ''}`;
    case 'retval':
      return e.dollar ? '$retval' : 'retval';
    case 'latency':
      return '$latency';
    case 'entry':
      return `$entry(${e.name})`;
    case 'args':
      return 'args';
    case 'ctx':
      return 'ctx';
    case 'builtin':
      return e.name;
    case 'member':
      return `${wrap(e.object, POSTFIX)}${e.arrow ? '->' : '.'}${e.member}`;
    case 'index':
      return `${wrap(e.object, POSTFIX)}[${printExpr(e.index)}]`;
    case 'strcmp':
      return `STRCMP(${printString(e.literal)}, ${printExpr(e.operand)})`;
    case 'call':
      return `${e.callee}(${e.args.map(printExpr).join(', ')})`;
    case 'cast':
      return `(${printType(e.type)})${wrap(e.operand, UNARY)}`;
    case 'unary': {
      const operand = wrap(e.operand, UNARY);
      // Keep `- -x` and `& &x` apart so they do not lex as other tokens.
      const sep = operand.startsWith(e.op) || (e.op === '-' && operand.startsWith('>')) ? ' ' : '';
      return `${e.op}${sep}${operand}`;
    }
    case 'binary': {
      const p = BINARY_PREC[e.op]!;
      return `${wrap(e.left, p)} ${e.op} ${wrap(e.right, p + 1)}`;
    }
    case 'ternary':
      return `${wrap(e.cond, TERNARY + 1)} ? ${printExpr(e.then)} : ${wrap(e.else, TERNARY)}`;
    default:
      return assertNever(e, 'expression');
  }
}

/** A format string with its quotes, re-escaped. */
export function printFormat(f: FormatString): string {
  let out = '"';
  for (const p of f.pieces) {
    if (p.kind === 'conversion') out += `%${p.length}${p.spec}`;
    else for (const ch of p.value) out += ch === '%' ? '%%' : escapeChar(ch.codePointAt(0)!, '"');
  }
  return out + '"';
}

/** The spec part of a trace probe: `p:c:malloc`, `t:sched:sched_switch`, `kfree_skb+0x12`. */
export function printProbeRef(r: ProbeRef): string {
  switch (r.type) {
    case 't':
      return `t:${r.category ?? ''}:${r.function}`;
    case 'rawtracepoint':
      return `rawtracepoint:${r.function}`;
    case 'u':
      return `u:${r.library}:${r.provider !== undefined ? `${r.provider}:` : ''}${r.function}`;
    case 'p':
    case 'r': {
      const fn = r.function + (r.offset !== undefined ? `+0x${r.offset.toString(16)}` : '');
      if (r.typeExplicit) return `${r.type}:${r.library}:${fn}`;
      if (r.library === '') return fn;
      // `rt:f` would read as a raw tracepoint: `:rt:f` keeps the library.
      return r.library.includes(':') || RAW_TRACEPOINT_WORDS.has(r.library) ? `:${r.library}:${fn}` : `${r.library}:${fn}`;
    }
    default:
      return assertNever(r.type, 'probe type');
  }
}

export function printTraceProbe(t: TraceProbeAst): string {
  let out = printProbeRef(t.ref);
  if (t.signature) out += printSignature(t.signature);
  if (t.predicate) out += ` (${printExpr(t.predicate)})`;
  if (t.format) out += ` ${printFormat(t.format)}` + t.args.map((a) => `, ${printExpr(a)}`).join('');
  return out;
}

/** The argument of -C/-H (without the option). */
export function printArgdistSpec(a: ArgdistSpecAst): string {
  const where = a.ref.type === 't' ? (a.ref.category ?? '') : a.ref.library; // '' for rawtracepoint
  let out = `${a.ref.type}:${where}:${a.ref.function}${printSignature(a.signature)}`;
  if (!a.defaultExpr) {
    out += `:${a.types.map(printType).join(',')}:${a.exprs.map(printExpr).join(',')}`;
    if (a.filter) out += `:${printExpr(a.filter)}`;
  }
  if (a.label !== undefined) out += `#${a.label}`;
  return out;
}

export function printFuncPattern(p: FuncPatternAst): string {
  if (p.type === 'rawtracepoint') return `rawtracepoint:${p.pattern}`;
  if (p.typeExplicit) return p.type === 't' ? `t:${p.category ?? ''}:${p.event ?? ''}` : `${p.type}:${p.library}:${p.pattern}`;
  return p.library === '' ? p.pattern : `${p.library}:${p.pattern}`;
}

/**
 * The AST as indented JSON for `--dump=ast`: bigints as decimal strings with an `n` suffix,
 * spans as `start..end`.
 */
export function dumpAst(ast: unknown): string {
  return JSON.stringify(
    ast,
    (key, value: unknown) => {
      if (typeof value === 'bigint') return `${value}n`;
      if ((key === 'span' || key.endsWith('Span')) && value && typeof value === 'object') {
        const s = value as { start: number; end: number };
        return `${s.start}..${s.end}`;
      }
      return value;
    },
    2,
  );
}
