/**
 * Property tests: whatever the input, every parser either returns an AST or throws a
 * SpecSyntaxError (never another exception, never a hang), and every AST it returns prints to
 * text that parses back to the same AST.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SpecSyntaxError } from '../../../src/errors.js';
import { parseArgdistSpec, parseExpr, parseFormat, parseFuncPattern, parseTraceProbe } from '../../../src/specs/parse.js';
import { printArgdistSpec, printExpr, printFormat, printFuncPattern, printTraceProbe } from '../../../src/specs/print.js';
import { ARGDIST, COUNT_PATTERNS, LATENCY_PATTERNS, TRACE } from './corpus.js';
import { strip } from './helpers.js';

const MAX_LEN = 120;
/** FUZZ_SCALE=10 runs ten times as many cases. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

const CHARS = [...'pcrtu:+()[]{}",\'\\%#?!~*&|^<>=-./ \t\n0123456789xabdlsKUXio_$@'];
const TOKENS = [
  'p',
  'r',
  't',
  'u',
  'rt',
  'rawtracepoint',
  ':',
  '::',
  'c',
  'malloc',
  '+0x10',
  '+8',
  '(',
  ')',
  '"',
  '"%d"',
  '"%s %llx"',
  '%',
  '%%',
  ',',
  ' ',
  '\t',
  'arg1',
  'arg2@user',
  'retval',
  '$retval',
  '$latency',
  '$entry(',
  '$PID',
  'args',
  '->',
  '.',
  '[0]',
  'STRCMP(',
  '"a:b"',
  'struct sock *',
  'int',
  'unsigned long',
  'u64',
  'char*',
  'size_t size',
  '(u32)',
  '?',
  '#',
  '#label',
  '==',
  '&&',
  '||',
  '<<',
  '-',
  '~',
  '!',
  '*',
  '&',
  '0',
  '42',
  "'a'",
  '\\',
  '\\"',
  'sizeof',
  '__user',
  'const',
];

function mutate(base: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...CHARS), fc.constantFrom(...TOKENS)) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 10 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = base;
    for (const e of edits) {
      const at = s.length === 0 ? 0 : e.at % (s.length + 1);
      if (e.kind === 'insert') s = s.slice(0, at) + e.s + s.slice(at);
      else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.n);
      else s = s.slice(0, at) + s.slice(at, at + e.n) + s.slice(at);
    }
    return s.slice(0, MAX_LEN);
  });
}

const randomText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 60 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 16 }).map((ts) => ts.join('').slice(0, MAX_LEN)),
  fc.string({ maxLength: 40 }),
);

/** Parse, allowing only SpecSyntaxError; on success, check the print round trip. */
function check<T>(text: string, parse: (s: string) => T, print: (t: T) => string): void {
  let ast: T;
  try {
    ast = parse(text);
  } catch (e) {
    if (!(e instanceof SpecSyntaxError)) throw e;
    expect(e.span.start).toBeGreaterThanOrEqual(0);
    expect(e.span.end).toBeGreaterThanOrEqual(e.span.start);
    expect(e.span.end).toBeLessThanOrEqual(text.length);
    return;
  }
  const printed = print(ast);
  expect(strip(parse(printed))).toEqual(strip(ast));
}

const trace = (s: string) => check(s, parseTraceProbe, printTraceProbe);
const argdistC = (s: string) => check(s, (x) => parseArgdistSpec(x, 'C'), printArgdistSpec);
const argdistH = (s: string) => check(s, (x) => parseArgdistSpec(x, 'H'), printArgdistSpec);
const expr = (s: string) => check(s, parseExpr, printExpr);
const patterns = (s: string) => {
  for (const tool of ['funccount', 'stackcount', 'funclatency'] as const) check(s, (x) => parseFuncPattern(x, tool), printFuncPattern);
};
const format = (s: string) => check(s, parseFormat, (f) => printFormat(f).slice(1, -1));

describe('fuzz: only SpecSyntaxError or success, and print round-trips', () => {
  test('random text through every parser', () => {
    fc.assert(
      fc.property(randomText, (s) => {
        trace(s);
        argdistC(s);
        argdistH(s);
        expr(s);
        patterns(s);
        try {
          parseFormat(s);
        } catch (e) {
          if (!(e instanceof SpecSyntaxError)) throw e;
        }
      }),
      { numRuns: 2000 * SCALE },
    );
  });

  test('mutated trace corpus', () => {
    fc.assert(fc.property(fc.constantFrom(...TRACE.map((c) => c.text)).chain(mutate), trace), { numRuns: 2500 * SCALE });
  });

  test('mutated argdist corpus', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ARGDIST.map((c) => c.text)).chain(mutate), (s) => {
        argdistC(s);
        argdistH(s);
      }),
      { numRuns: 2500 * SCALE },
    );
  });

  test('mutated expressions and patterns', () => {
    const exprs = TRACE.flatMap((c) => [c.pred, ...(c.args ?? [])]).filter((x): x is string => x !== undefined);
    fc.assert(fc.property(fc.constantFrom(...exprs).chain(mutate), expr), { numRuns: 1500 * SCALE });
    fc.assert(fc.property(fc.constantFrom(...COUNT_PATTERNS.map((c) => c.text), ...LATENCY_PATTERNS.map((c) => c.text)).chain(mutate), patterns), {
      numRuns: 1000 * SCALE,
    });
  });

  test('format strings', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'%%dslxhuK\\x4"n0 a'), maxLength: 30 }), format), { numRuns: 1500 * SCALE });
  });
});
