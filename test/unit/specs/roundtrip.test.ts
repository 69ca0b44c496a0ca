import { describe, expect, test } from 'vitest';
import { parseArgdistSpec, parseExpr, parseFuncPattern, parseTraceProbe } from '../../../src/specs/parse.js';
import { printArgdistSpec, printExpr, printFuncPattern, printTraceProbe } from '../../../src/specs/print.js';
import { ARGDIST, COUNT_PATTERNS, LATENCY_PATTERNS, TRACE } from './corpus.js';
import { strip } from './helpers.js';

describe('print → parse gives the same AST (spans aside)', () => {
  test.each(TRACE)('trace $id', (c) => {
    const ast = parseTraceProbe(c.text);
    const printed = printTraceProbe(ast);
    expect(strip(parseTraceProbe(printed))).toEqual(strip(ast));
    expect(printTraceProbe(parseTraceProbe(printed))).toBe(printed);
  });

  test.each(ARGDIST)('argdist $id', (c) => {
    const ast = parseArgdistSpec(c.text, c.kind);
    const printed = printArgdistSpec(ast);
    expect(strip(parseArgdistSpec(printed, c.kind))).toEqual(strip(ast));
  });

  test.each([
    ...COUNT_PATTERNS.map((c) => ['funccount', c.text] as const),
    ...COUNT_PATTERNS.map((c) => ['stackcount', c.text] as const),
    ...LATENCY_PATTERNS.map((c) => ['funclatency', c.text] as const),
  ])('%s %s', (tool, text) => {
    const ast = parseFuncPattern(text, tool);
    expect(strip(parseFuncPattern(printFuncPattern(ast), tool))).toEqual(strip(ast));
  });

  test('canonical text examples', () => {
    expect(printTraceProbe(parseTraceProbe('  c:open(char* f)(f!=0)"%s)",f,'))).toBe('c:open(char *f) (f != 0) "%s)", f');
    expect(printTraceProbe(parseTraceProbe('kfree_skb+56'))).toBe('kfree_skb+0x38');
    expect(printTraceProbe(parseTraceProbe(':a:b:f'))).toBe(':a:b:f');
    expect(printTraceProbe(parseTraceProbe(':rt:clock_gettime'))).toBe(':rt:clock_gettime');
    expect(printTraceProbe(parseTraceProbe('rt:sched_switch'))).toBe('rawtracepoint:sched_switch');
    expect(printArgdistSpec(parseArgdistSpec('rt::sched_switch()', 'C'))).toBe('rawtracepoint::sched_switch()');
    expect(printFuncPattern(parseFuncPattern('rt::sched_*', 'funccount'))).toBe('rawtracepoint:sched_*');
    expect(printArgdistSpec(parseArgdistSpec('p:c:fork()#fork calls', 'C'))).toBe('p:c:fork()#fork calls');
    expect(printArgdistSpec(parseArgdistSpec('r::__kmalloc(size_t size):u64:$latency/$entry(size)#ns', 'H'))).toBe(
      'r::__kmalloc(size_t size):u64:$latency / $entry(size)#ns',
    );
    expect(printExpr(parseExpr('(a + b) * -(c - -d) ? x : y ? z : w'))).toBe('(a + b) * -(c - -d) ? x : y ? z : w');
    expect(printExpr(parseExpr('(a ? b : c) ? d : e'))).toBe('(a ? b : c) ? d : e');
    expect(printExpr(parseExpr('a - (b - c)'))).toBe('a - (b - c)');
    expect(printExpr(parseExpr('& &x'))).toBe('& &x');
    expect(printExpr(parseExpr("'\\''"))).toBe("'\\''");
    expect(printExpr(parseExpr('"\\xc3\\xa9é"'))).toBe('"\\xc3\\xa9é"');
    expect(printExpr(parseExpr('0x1FuLL'))).toBe('0x1full');
  });
});

describe('dumpAst', () => {
  test('JSON with bigints and compact spans', async () => {
    const { dumpAst } = await import('../../../src/specs/index.js');
    const out = JSON.parse(dumpAst(parseExpr('arg1 + 0x10'))) as Record<string, unknown>;
    expect(out).toEqual({
      kind: 'binary',
      op: '+',
      left: { kind: 'arg', index: 1, user: false, span: '0..4' },
      right: { kind: 'int', value: '16n', suffix: '', radix: 'hex', span: '7..11' },
      span: '0..11',
    });
  });
});
