/**
 * Issue 20: constant nonsense is a check error with a span, where it used to print a
 * wrapped-around value (`1<<200` printed 256) or reach the verifier (`1/0`).
 */
import { describe, expect, it } from 'vitest';
import { ExprCheckError } from '../../../src/compile/check.js';
import { SpecSyntaxError } from '../../../src/errors.js';
import { parseArgdistSpec, parseFormat, parseTraceProbe } from '../../../src/specs/index.js';
import { check, withSignature } from './helpers.js';

const ctx = withSignature({ kind: 'kprobe', symbol: 'f' }, 'u64 a, int b');

function fault(text: string): { message: string; at: string } {
  try {
    check(text, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(ExprCheckError);
    const x = e as ExprCheckError;
    return { message: x.message, at: text.slice(x.span.start, x.span.end) };
  }
  throw new Error(`no error for ${text}`);
}

describe('constant nonsense', () => {
  it('shifts by the width or more, or by a negative count', () => {
    expect(fault('1<<200')).toEqual({ message: 'shift by 200 is out of range for int (0 to 31)', at: '200' });
    expect(fault('a >> 64')).toEqual({ message: 'shift by 64 is out of range for u64 (0 to 63)', at: '64' });
    expect(fault('a << -1').message).toBe('shift by -1 is out of range for u64 (0 to 63)');
    expect(fault('b << 32').message).toBe('shift by 32 is out of range for int (0 to 31)');
    expect(check('a << 63', ctx).type.kind).toBe('int');
    expect(check('1UL << 40', ctx).type.kind).toBe('int');
    expect(check('a << b', ctx).type.kind).toBe('int');
  });

  it('division and remainder by a constant zero', () => {
    expect(fault('(1/0)')).toEqual({ message: 'division by zero', at: '0' });
    expect(fault('a / 0')).toEqual({ message: 'division by zero', at: '0' });
    expect(fault('a % (u32)0')).toEqual({ message: 'remainder by zero', at: '(u32)0' });
    expect(check('a / b', ctx).type.kind).toBe('int');
  });

  it('duplicate parameter names in a signature', () => {
    expect(() => parseTraceProbe('p:c:f(int a, int a) "%d", a')).toThrow(SpecSyntaxError);
    expect(() => parseTraceProbe('p:c:f(int a, int a) "%d", a')).toThrow("duplicate parameter name 'a' in the signature");
    expect(() => parseArgdistSpec('p:c:f(int x, char *x):int:x', 'C')).toThrow("duplicate parameter name 'x'");
  });

  it('NUL bytes in formats, written or escaped', () => {
    expect(() => parseFormat('a\\0b')).toThrow("a format string cannot hold a NUL byte ('\\0')");
    expect(() => parseFormat('a\\x00b')).toThrow('NUL byte');
    expect(() => parseFormat('a\u0000b')).toThrow('a format string cannot hold a NUL byte');
    expect(parseFormat('a\\tb').pieces).toHaveLength(1);
  });
});
