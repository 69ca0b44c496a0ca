import { describe, expect, test } from 'vitest';
import { DiagnosticsError, ResolveError, SpecSyntaxError } from '../../../src/errors.js';
import { collect, renderDiagnostic, renderError } from '../../../src/specs/diagnostics.js';
import { parseArgdistSpec, parseTraceProbe } from '../../../src/specs/parse.js';
import { syntaxError } from './helpers.js';

describe('renderDiagnostic', () => {
  test('message, source line, caret under the span, hints', () => {
    const e = syntaxError(() => parseTraceProbe('p::foo+zz'));
    expect(renderDiagnostic(e)).toBe(
      ["error: invalid offset format 'zz', must be decimal or hexadecimal", '  p::foo+zz', '         ^~', 'hint: e.g. +16 or +0x10'].join('\n'),
    );
  });

  test('plain objects work too; empty spans get one caret', () => {
    expect(renderDiagnostic({ message: 'unexpected end of input', source: 'a +', span: { start: 3, end: 3 }, hints: [] })).toBe(
      ['error: unexpected end of input', '  a +', '     ^'].join('\n'),
    );
  });

  test('multi-line sources show the line of the fault', () => {
    const text = 'r::__vfs_read(void *file, void *buf, size_t count):size_t:\n            $entry(count):$latency > 1000000 +';
    const e = syntaxError(() => parseArgdistSpec(text, 'H'));
    const out = renderDiagnostic(e).split('\n');
    expect(out[0]).toBe('error: unexpected end of input');
    expect(out[1]).toBe('              $entry(count):$latency > 1000000 +');
    expect(out[2]).toBe('                                                ^');
  });

  test('tabs are kept in the caret padding', () => {
    const d = renderDiagnostic(new SpecSyntaxError('bad', '\tab', { start: 2, end: 3 }));
    expect(d.split('\n')[2]).toBe('  \t ^');
  });

  test('M01 caret under the type', () => {
    const e = syntaxError(() => parseTraceProbe('x:c:malloc'));
    expect(renderDiagnostic(e)).toBe(
      [
        "error: probe type must be '', 'p', 't', 'r', or 'u', but got 'x'",
        '  x:c:malloc',
        '  ^',
        'hint: p: function entry, r: function return, t: tracepoint, u: USDT probe; a raw tracepoint is rawtracepoint:NAME or rt:NAME',
      ].join('\n'),
    );
  });
});

describe('collect', () => {
  test('returns all results when nothing fails', () => {
    expect(collect(['a', 'b'], (s, i) => s + i)).toEqual(['a0', 'b1']);
  });

  test('reports every failure in one DiagnosticsError', () => {
    let caught: unknown;
    try {
      collect(['x:c:malloc', 'ok', 'p:c:malloc "%q"'], (s) => (s === 'ok' ? s : parseTraceProbe(s)));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DiagnosticsError);
    const errs = (caught as DiagnosticsError).errors;
    expect(errs).toHaveLength(2);
    const text = renderError(caught);
    expect(text).toContain("error: probe type must be '', 'p', 't', 'r', or 'u', but got 'x'");
    expect(text).toContain("error: unsupported format conversion '%q'");
    expect(text.split('\n\n')).toHaveLength(2);
  });

  test('non-syntax TracerErrors are collected; bugs propagate', () => {
    expect(() =>
      collect([1], () => {
        throw new ResolveError('no such library', ['try -p']);
      }),
    ).toThrow(DiagnosticsError);
    expect(() =>
      collect([1], () => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
    expect(renderError(new ResolveError('no such library', ['try -p']))).toBe('error: no such library\nhint: try -p');
  });
});
