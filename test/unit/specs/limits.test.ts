/**
 * Issue 20: no expression crashes the front end. Trees deeper than MAX_EXPR_DEPTH and specs of
 * more than MAX_TOKENS tokens are SpecSyntaxErrors with a span; everything up to the limits
 * parses, checks and lowers (the checker, lowerer and printer recurse once per level).
 */
import { describe, expect, it } from 'vitest';
import { SpecSyntaxError } from '../../../src/errors.js';
import { parseArgdistSpec, parseExpr, parseTraceProbe } from '../../../src/specs/index.js';
import { printExpr } from '../../../src/specs/print.js';
import { MAX_EXPR_DEPTH, walk } from '../../../src/specs/walk.js';
import { MAX_TOKENS } from '../../../src/specs/grammar/lexer.js';
import { probeContext } from '../../../src/compile/context.js';
import { check, lowerScalar, withSignature } from '../compile/helpers.js';

const sum = (n: number) => Array(n).fill('a').join('+');
const and = (n: number) => Array(n).fill('a').join('&&');
const neg = (n: number) => `${'-'.repeat(n)}a`;
const casts = (n: number) => `${'(int)'.repeat(n)}a`;
const parens = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
const ternary = (n: number) => `${'a?a:'.repeat(n)}a`;

function syntaxError(f: () => unknown): SpecSyntaxError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecSyntaxError);
    return e as SpecSyntaxError;
  }
  throw new Error('no error');
}

describe('expression limits', () => {
  it('the issue examples are one-line syntax errors, not stack overflows', () => {
    expect(syntaxError(() => parseExpr(sum(1500))).message).toBe(`expression nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`);
    expect(syntaxError(() => parseExpr(and(3000))).message).toBe(`too long: more than ${MAX_TOKENS} tokens`);
    expect(syntaxError(() => parseExpr(neg(5000))).message).toBe(`too long: more than ${MAX_TOKENS} tokens`);
    expect(syntaxError(() => parseExpr(casts(5000))).message).toBe(`too long: more than ${MAX_TOKENS} tokens`);
    expect(syntaxError(() => parseExpr(neg(1000))).message).toBe(`expression nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`);
    // The span points into the text: at the token past the limit, or the node past the depth.
    const e = syntaxError(() => parseExpr(and(3000)));
    expect(e.span.start).toBeGreaterThan(0);
    expect(e.span.end).toBeLessThanOrEqual(and(3000).length);
  });

  it('syntax errors deep inside nesting are reported (nearley builds no message of its own)', () => {
    expect(syntaxError(() => parseExpr(`${'('.repeat(1300)}1 1`)).message).toBe("unexpected number '1'");
    expect(syntaxError(() => parseExpr(`${'-'.repeat(4000)} 1 1`)).message).toBe("unexpected number '1'");
  });

  it('trace and argdist specs have the same limits', () => {
    expect(syntaxError(() => parseTraceProbe(`t:a:b "%d", ${sum(1500)}`)).message).toMatch(/nested too deeply/);
    expect(syntaxError(() => parseTraceProbe(`t:a:b (${neg(5000)}) "x"`)).message).toMatch(/too long/);
    expect(syntaxError(() => parseArgdistSpec(`p:c:f(int a):int:${sum(1500)}`, 'C')).message).toMatch(/nested too deeply/);
  });

  it.each([
    ['sum', sum(MAX_EXPR_DEPTH)],
    ['&&', and(MAX_EXPR_DEPTH)],
    ['unary minus', neg(MAX_EXPR_DEPTH - 1)],
    ['casts', casts(MAX_EXPR_DEPTH - 1)],
    ['parentheses', parens(2000)],
    ['ternary', ternary((MAX_EXPR_DEPTH - 1) >> 1)],
  ])('%s at the depth limit parses, checks, lowers and prints', (_, text) => {
    const ctx = withSignature({ kind: 'kprobe', symbol: 'f' }, 'u64 a');
    const e = parseExpr(text);
    let nodes = 0;
    walk(e, () => nodes++);
    expect(nodes).toBeGreaterThan(0);
    expect(printExpr(e).length).toBeGreaterThan(0);
    expect(check(text, ctx).type.kind).toBe('int');
    expect(lowerScalar(text, ctx).length).toBeGreaterThan(0);
  });

  it('one level more is refused', () => {
    expect(() => parseExpr(sum(MAX_EXPR_DEPTH + 1))).toThrow(/nested too deeply/);
    expect(() => parseExpr(neg(MAX_EXPR_DEPTH))).toThrow(/nested too deeply/);
  });
});
void probeContext;
