import { expect } from 'vitest';
import { SpecSyntaxError } from '../../../src/errors.js';
import type { Expr, FormatString } from '../../../src/specs/ast.js';
import { parseExpr } from '../../../src/specs/parse.js';
import { printType } from '../../../src/specs/print.js';

/** Drop spans and source texts, so two parses of different texts can be compared. */
export function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === 'span' || k.endsWith('Span') || k === 'text') continue;
      out[k] = strip(v);
    }
    return out;
  }
  return x;
}

/** The tree shape of an expression as an s-expression (precedence tests). */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'binary':
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'unary':
      return `(${e.op} ${sexpr(e.operand)})`;
    case 'ternary':
      return `(? ${sexpr(e.cond)} ${sexpr(e.then)} ${sexpr(e.else)})`;
    case 'cast':
      return `(cast ${printType(e.type)} ${sexpr(e.operand)})`;
    case 'member':
      return `(${e.arrow ? '->' : '.'} ${sexpr(e.object)} ${e.member})`;
    case 'index':
      return `([] ${sexpr(e.object)} ${sexpr(e.index)})`;
    case 'call':
      return `(call ${e.callee}${e.args.map((a) => ' ' + sexpr(a)).join('')})`;
    case 'strcmp':
      return `(STRCMP ${JSON.stringify(e.literal.value)} ${sexpr(e.operand)})`;
    case 'int':
      return `${e.value}${e.suffix}`;
    case 'char':
      return `'${e.value}'`;
    case 'string':
      return JSON.stringify(e.value);
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
  }
}

export function expectSameExpr(actual: Expr | undefined, source: string): void {
  expect(actual).toBeDefined();
  expect(strip(actual)).toEqual(strip(parseExpr(source)));
}

/** Decoded text with conversions written back as %<length><spec>. */
export function fmtText(f: FormatString | undefined): string | undefined {
  return f?.pieces.map((p) => (p.kind === 'text' ? p.value : `%${p.length}${p.spec}`)).join('');
}

/** Run `fn`, expect a SpecSyntaxError, return it. */
export function syntaxError(fn: () => unknown): SpecSyntaxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a SpecSyntaxError, but the parse succeeded');
}

export function underCaret(e: SpecSyntaxError): string {
  return e.source.slice(e.span.start, e.span.end);
}
