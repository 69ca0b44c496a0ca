/**
 * Type errors render like syntax errors (the spec, a caret under the fault, one hint), and every
 * error of a command line comes out of one run: checkProbes → one DiagnosticsError.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseTraceProbe, renderError } from '../../../src/specs/index.js';
import { DiagnosticsError, SpannedCheckError, CheckError } from '../../../src/errors.js';
import { checkProbes, withSource, ProbeChecks } from '../../../src/compile/diagnose.js';
import { requirePointerOrString, requireScalar, ExprCheckError } from '../../../src/compile/check.js';
import { probeContext, type ProbeSite } from '../../../src/compile/context.js';
import { reportError } from '../../../src/multitools/main.js';
import { kindsBtf, tracepoint } from './helpers.js';

/** A stand-in for the trace tool's front end: each probe's predicate and arguments. */
function checkTrace(specs: readonly string[]) {
  const probes = specs.map((s) => parseTraceProbe(s));
  return checkProbes(
    probes,
    (p) => p.text,
    (p, c) => {
      const site: ProbeSite =
        p.ref.type === 't' ? tracepoint(p.ref.category!, p.ref.function) : { kind: p.ref.type === 'r' ? 'kretprobe' : 'kprobe', symbol: p.ref.function };
      const ctx = probeContext(site, { btf: kindsBtf(), arch: 'x64', ...(p.signature ? { signature: p.signature } : {}) });
      const kinds = (p.format?.pieces ?? []).filter((x) => x.kind === 'conversion').map((x) => (x.kind === 'conversion' ? x.spec : ''));
      const predicate = p.predicate && c.check(p.predicate, ctx, (te) => requireScalar(te, 'a predicate'));
      const args = p.args.map((e, i) => c.check(e, ctx, (te) => (kinds[i] === 's' ? requirePointerOrString(te, '%s') : requireScalar(te, `%${kinds[i]}`))));
      return { predicate, args };
    },
  );
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('no error');
}

describe('type errors with a caret', () => {
  it('one error: spec, caret under the member, hint', () => {
    const e = thrown(() => checkTrace(['p::vfs_read "%d", file->f_po'])) as DiagnosticsError;
    expect(e).toBeInstanceOf(DiagnosticsError);
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toBeInstanceOf(SpannedCheckError);
    expect(e.errors[0]).toBeInstanceOf(CheckError);
    expect(renderError(e)).toBe(
      ["error: unknown member 'f_po' in struct file; did you mean 'f_pos'?", '  p::vfs_read "%d", file->f_po', '                          ^~~~'].join('\n'),
    );
  });

  it('every error of every probe in one DiagnosticsError, in command-line order', () => {
    const e = thrown(() =>
      checkTrace([
        't:syscalls:sys_enter_openat (dfd == 3) "%s %d", args->filenam, $COMM',
        'p::vfs_read "%d", arg7',
        'p::vfs_read "%s", count',
        'r::vfs_read (retval > 0) "%d", retval',
      ]),
    ) as DiagnosticsError;
    expect(renderError(e)).toBe(
      [
        "error: unknown name 'dfd'; did you mean 'args->dfd'?",
        '  t:syscalls:sys_enter_openat (dfd == 3) "%s %d", args->filenam, $COMM',
        '                               ^~~',
        'hint: tracepoint fields are args->name',
        '',
        "error: unknown member 'filenam' in struct trace_event_raw_sys_enter_openat; did you mean 'filename'?",
        '  t:syscalls:sys_enter_openat (dfd == 3) "%s %d", args->filenam, $COMM',
        '                                                        ^~~~~~~',
        '',
        'error: %d needs a number, got a string (char[16])',
        '  t:syscalls:sys_enter_openat (dfd == 3) "%s %d", args->filenam, $COMM',
        '                                                                 ^~~~~',
        'hint: use it with %s or STRCMP',
        '',
        'error: arg7: vfs_read takes 4 arguments',
        '  p::vfs_read "%d", arg7',
        '                    ^~~~',
        '',
        'error: %s needs a pointer, got size_t',
        '  p::vfs_read "%s", count',
        '                    ^~~~~',
        'hint: cast it if it is an address: (char *)…',
      ].join('\n'),
    );
  });

  it('several faults inside one expression are all reported', () => {
    const e = thrown(() => checkTrace(['p::vfs_read (cnt > 1 && file->f_po) "%d", 1'])) as DiagnosticsError;
    expect(e.errors.map((x) => x.message)).toEqual([
      "unknown name 'cnt'; did you mean 'count'?",
      "unknown member 'f_po' in struct file; did you mean 'f_pos'?",
    ]);
    expect(e.errors.map((x) => (x as SpannedCheckError).span)).toEqual([
      { start: 13, end: 16 },
      { start: 30, end: 34 },
    ]);
  });

  it('a probe with no errors gives its result; none fail → results for all', () => {
    const r = checkTrace(['p::vfs_read "%d %s", count, buf', 'r::vfs_read (retval > 0) "%d", retval']);
    expect(r).toHaveLength(2);
    expect(r[0]!.args.map((a) => a!.type.kind)).toEqual(['int', 'ptr']);
  });

  it('errors without a span say which probe they are about; bugs propagate', () => {
    const c = new ProbeChecks('p::f');
    expect(
      c.attempt(() => {
        throw new CheckError('format string expects 1 argument, got 2');
      }),
    ).toBeUndefined();
    expect(renderError(new DiagnosticsError(c.errors))).toBe("error: error in probe 'p::f': format string expects 1 argument, got 2");
    expect(() =>
      c.attempt(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
    expect(withSource(new ExprCheckError('m', { start: 0, end: 1 }, ['h']), 'x')[0]).toMatchObject({ message: 'm', source: 'x', hints: ['h'] });
  });
});

describe('the CLI prints them (reportError): caret lines, exit 1, no stack trace', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints each error with its spec and caret', () => {
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const e = thrown(() => checkTrace(['p::vfs_read "%d", arg7', 'p::vfs_read (cnt) "%d", 1']));
    expect(reportError('trace', e)).toBe(1);
    expect(out.join('')).toBe(
      [
        'trace: arg7: vfs_read takes 4 arguments',
        '    p::vfs_read "%d", arg7',
        '                      ^~~~',
        "trace: unknown name 'cnt'; did you mean 'count'?",
        '    p::vfs_read (cnt) "%d", 1',
        '                 ^~~',
        'trace: hint: parameters: file, buf, count, pos',
        '',
      ].join('\n'),
    );
    expect(out.join('')).not.toMatch(/\n\s+at /);
  });
});
