import { describe, expect, test } from 'vitest';
import { DiagnosticsError } from '../../../src/errors.js';
import { countParses, parseArgdistSpec, parseFuncPattern, parseTraceProbe, parseTraceProbes } from '../../../src/specs/parse.js';
import { printType } from '../../../src/specs/print.js';
import { ARGDIST, ARGDIST_ERRORS, COUNT_PATTERNS, LATENCY_PATTERNS, PATTERN_ERRORS, TRACE, TRACE_ERRORS } from './corpus.js';
import { expectSameExpr, fmtText, syntaxError, underCaret } from './helpers.js';

describe('trace corpus (BCC-GRAMMAR T*, trace --help)', () => {
  test.each(TRACE)('$id: $text', (c) => {
    const counts = countParses(() => parseTraceProbe(c.text));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((n) => n === 1)).toBe(true);
    const ast = parseTraceProbe(c.text);
    if (c.ref) expect(ast.ref).toMatchObject(c.ref);
    if (c.ref && !('offset' in c.ref)) expect(ast.ref.offset).toBeUndefined();
    if (c.sig) {
      expect(ast.signature?.map((p) => ({ type: printType(p.type), name: p.name }))).toEqual(c.sig.map(({ type, name }) => ({ type, name })));
      c.sig.forEach((p, i) => p.user !== undefined && expect(ast.signature?.[i]?.type.user).toBe(p.user));
    }
    if (c.pred !== undefined) expectSameExpr(ast.predicate, c.pred);
    if (c.fmt !== undefined) expect(fmtText(ast.format)).toBe(c.fmt);
    if (c.convs) {
      expect(ast.format?.pieces.flatMap((p) => (p.kind === 'conversion' ? [p.length + p.spec] : []))).toEqual(c.convs);
    }
    if (c.args) {
      expect(ast.args).toHaveLength(c.args.length);
      c.args.forEach((a, i) => expectSameExpr(ast.args[i], a));
    }
  });

  test('T01 default action: no predicate, no format, no args', () => {
    const ast = parseTraceProbe('do_sys_open');
    expect(ast.predicate).toBeUndefined();
    expect(ast.format).toBeUndefined();
    expect(ast.signature).toBeUndefined();
    expect(ast.args).toEqual([]);
    expect(ast.span).toEqual({ start: 0, end: 11 });
  });

  test('T04 arg2@user and spans into the whole probe text', () => {
    const text = '::do_sys_open "%s", arg2@user';
    const ast = parseTraceProbe(text);
    expect(ast.args[0]).toEqual({ kind: 'arg', index: 2, user: true, span: { start: 20, end: 29 } });
    expect(ast.format?.span).toEqual({ start: 14, end: 18 });
    expect(ast.format?.pieces[0]).toEqual({ kind: 'conversion', spec: 's', length: '', span: { start: 15, end: 17 } });
    expect(ast.ref.span).toEqual({ start: 0, end: 13 });
  });

  test('T12 signature type is structured', () => {
    const ast = parseTraceProbe('p::SyS_nanosleep(struct timespec *ts) "sleep for %lld ns", ts->tv_nsec');
    expect(ast.signature?.[0]).toMatchObject({
      name: 'ts',
      type: { base: { kind: 'struct', name: 'timespec' }, pointer: 1, const: false, user: false },
    });
  });

  test('T38 several probes parse independently', () => {
    const asts = parseTraceProbes(['r:c:read ((int)retval < 0) "read failed: %d", retval', 'r:c:write ((int)retval < 0) "write failed: %d", retval']);
    expect(asts.map((a) => a.ref.function)).toEqual(['read', 'write']);
  });

  test('several bad probes are all reported', () => {
    let caught: unknown;
    try {
      parseTraceProbes(['x:c:malloc', 'do_sys_open', 'p::foo+zz']);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DiagnosticsError);
    expect((caught as DiagnosticsError).errors.map((e) => e.message)).toEqual([
      "probe type must be '', 'p', 't', 'r', or 'u', but got 'x'",
      "invalid offset format 'zz', must be decimal or hexadecimal",
    ]);
  });
});

describe('malformed trace probes (BCC-GRAMMAR M*)', () => {
  test.each(TRACE_ERRORS)('$id: $text', (c) => {
    const e = syntaxError(() => parseTraceProbe(c.text));
    expect(e.message).toBe(c.message);
    expect(e.source).toBe(c.text);
    if (c.at !== undefined) expect(underCaret(e)).toBe(c.at);
  });
});

describe('argdist corpus (BCC-GRAMMAR A*, argdist --help)', () => {
  test.each(ARGDIST)('$id: -$kind $text', (c) => {
    const counts = countParses(() => parseArgdistSpec(c.text, c.kind));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((n) => n === 1)).toBe(true);
    const ast = parseArgdistSpec(c.text, c.kind);
    expect(ast.kind).toBe(c.kind);
    if (c.ref) expect(ast.ref).toMatchObject(c.ref);
    if (c.sig) {
      expect(ast.signature.map((p) => ({ type: printType(p.type), name: p.name }))).toEqual(c.sig.map(({ type, name }) => ({ type, name })));
      c.sig.forEach((p, i) => p.user !== undefined && expect(ast.signature[i]?.type.user).toBe(p.user));
    }
    if (c.types) expect(ast.types.map(printType)).toEqual(c.types);
    if (c.exprs) {
      expect(ast.exprs).toHaveLength(c.exprs.length);
      c.exprs.forEach((x, i) => expectSameExpr(ast.exprs[i], x));
    }
    if (c.filter !== undefined) expectSameExpr(ast.filter, c.filter);
    else expect(ast.filter).toBeUndefined();
    expect(ast.label).toBe(c.label);
    expect(ast.defaultExpr).toBe(c.defaultExpr ?? false);
  });

  test('A19: two "#" give no label and the body ends at the first', () => {
    const ast = parseArgdistSpec('p:c:malloc(size_t size):u64:size#a#b', 'C');
    expect(ast.label).toBeUndefined();
    expect(ast.text).toBe('p:c:malloc(size_t size):u64:size#a#b');
  });

  test('A07: default count expression', () => {
    const ast = parseArgdistSpec('p:c:fork()#fork calls', 'C');
    expect(ast.types[0]?.base).toEqual({ kind: 'typedef', name: 'u64', known: true });
    expect(ast.exprs[0]).toMatchObject({ kind: 'int', value: 1n });
  });

  test('A15: __user is kept on the parameter type', () => {
    const ast = parseArgdistSpec(ARGDIST.find((a) => a.id === 'A15')!.text, 'C');
    expect(ast.signature[1]?.type).toMatchObject({ base: { kind: 'basic', name: 'char' }, pointer: 1, const: true, user: true });
  });
});

describe('malformed argdist specifiers (BCC-GRAMMAR B*)', () => {
  test.each(ARGDIST_ERRORS)('$id: -$kind $text', (c) => {
    const e = syntaxError(() => parseArgdistSpec(c.text, c.kind));
    expect(e.message).toBe(c.message);
    if (c.at !== undefined) expect(underCaret(e)).toBe(c.at);
  });
});

describe('funccount / stackcount patterns (C*, D*, S*, P*, --help)', () => {
  for (const tool of ['funccount', 'stackcount'] as const) {
    test.each(COUNT_PATTERNS)(`${tool} $id: $text`, (c) => {
      const counts = countParses(() => parseFuncPattern(c.text, tool));
      expect(counts).toEqual([1]);
      const ast = parseFuncPattern(c.text, tool);
      expect(ast).toMatchObject({ tool, type: c.type, library: c.library, pattern: c.pattern });
      if (c.category !== undefined) expect(ast).toMatchObject({ category: c.category, event: c.event });
      expect(c.text.slice(ast.patternSpan.start, ast.patternSpan.end)).toBe(c.pattern);
    });
  }
});

describe('funclatency patterns (L*, N*, --help)', () => {
  test.each(LATENCY_PATTERNS)('$id: $text', (c) => {
    expect(countParses(() => parseFuncPattern(c.text, 'funclatency'))).toEqual([1]);
    expect(parseFuncPattern(c.text, 'funclatency')).toMatchObject({
      tool: 'funclatency',
      type: 'p',
      library: c.library,
      pattern: c.pattern,
      typeExplicit: false,
    });
  });
});

describe('malformed patterns', () => {
  test.each(PATTERN_ERRORS)('$tool $id: $text', (c) => {
    const e = syntaxError(() => parseFuncPattern(c.text, c.tool));
    expect(e.message).toBe(c.message);
    if (c.at !== undefined) expect(underCaret(e)).toBe(c.at);
  });
});
