/**
 * Constants and member aliases (issue 18): the small preprocessor (compile/macros/cpp.ts) on
 * header fixtures (fixtures/headers), the uapi table, BTF enumerators, the GFP names of a
 * print format, the scope's order and messages, and the checker's use of them (values, types,
 * member aliases against BTF).
 */
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { evalMacro, evaluate, expand, literal, parseDefine, readHeader, tokenize, type Lookup, type MacroDef } from '../../../src/compile/macros/cpp.js';
import { btfEnumSource, enumerators, HeaderSet, printFormatNames, printFormatSource } from '../../../src/compile/macros/sources.js';
import { builtinAliases, BUILTIN_ALIAS_NAMES, macroScope, memberPath } from '../../../src/compile/macros/scope.js';
import { uapiEntry, uapiSource } from '../../../src/compile/macros/uapi.js';
import { UAPI_ARCH, UAPI_COMMON } from '../../../src/compile/macros/uapi.gen.js';
import { probeContext } from '../../../src/compile/context.js';
import { findInclude, kernelIncludeDirs, toolMacros } from '../../../src/pipeline/macros.js';
import { fixtureHost } from '../../helpers/probe-host.js';
import { check, kindsBtf, liveBtf, skipLive, typeOf } from './helpers.js';
import { ExprCheckError } from '../../../src/compile/check.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/headers/', import.meta.url));
const KERNEL = `${FIXTURES}kernel`;

function defs(text: string): Lookup {
  const m = readHeader(text, 'test.h', () => undefined).defines;
  return (n) => m.get(n);
}
const value = (text: string, name: string) => evalMacro(name, defs(text));

describe('cpp: constant expressions', () => {
  it('types literals as C does: suffixes, hex and octal, the first type that fits', () => {
    expect(literal('0x20u')).toEqual({ value: 0x20n, size: 4, signed: false });
    expect(literal('010')).toEqual({ value: 8n, size: 4, signed: true });
    expect(literal('0xffffffff')).toEqual({ value: 0xffffffffn, size: 4, signed: false });
    expect(literal('4294967295')).toEqual({ value: 4294967295n, size: 8, signed: true });
    expect(literal('1UL')).toEqual({ value: 1n, size: 8, signed: false });
    expect(literal('1ull')).toEqual({ value: 1n, size: 8, signed: false });
  });

  it('evaluates |, &, <<, >>, ~, +, -, casts, parentheses and ?: with the usual conversions', () => {
    const ev = (s: string) => evaluate(tokenize(s), () => undefined);
    expect(ev('(1 << 5) | 0x800')).toEqual({ value: 0x820n, size: 4, signed: true });
    expect(ev('~0u')).toEqual({ value: 0xffffffffn, size: 4, signed: false });
    expect(ev('-1 + 0u')).toEqual({ value: 0xffffffffn, size: 4, signed: false });
    expect(ev('(unsigned long)-1 >> 60')).toEqual({ value: 15n, size: 8, signed: false });
    expect(ev('((__force gfp_t)0x20u)')).toEqual({ value: 0x20n, size: 4, signed: false });
    expect(ev('(u8)0x1ff')).toEqual({ value: 0xffn, size: 1, signed: false });
    expect(ev('1 ? 2 : 3u')).toEqual({ value: 2n, size: 4, signed: false });
    expect(ev("'A' + 1")).toEqual({ value: 66n, size: 4, signed: true });
    expect(ev('(2)')).toEqual({ value: 2n, size: 4, signed: true });
  });

  it('expands object- and function-like macros, ## pasting and hide sets', () => {
    const lookup = defs(
      '#define __AC(X,Y) (X##Y)\n#define _AC(X,Y) __AC(X,Y)\n#define BIT(n) (_AC(1,UL) << (n))\n#define SELF SELF\n#define F(a, ...) a + __VA_ARGS__',
    );
    expect(evaluate(tokenize('BIT(40)'), lookup)).toEqual({ value: 1n << 40n, size: 8, signed: false });
    expect(expand(tokenize('SELF'), lookup).map((t) => t.v)).toEqual(['SELF']);
    expect(evaluate(tokenize('F(1, 2)'), lookup).value).toBe(3n);
    expect(() => evaluate(tokenize('SELF'), lookup)).toThrow("'SELF' has no definition");
  });

  it('says why a definition is no constant: sizeof, a missing name, division by zero, a wide shift', () => {
    expect(() => value('#define A sizeof(long)', 'A')).toThrow('sizeof is not supported in constants');
    expect(() => value('#define A (B | 1)', 'A')).toThrow("'B' has no definition");
    expect(() => value('#define A (1 / 0)', 'A')).toThrow('division by zero');
    expect(() => value('#define A (1 << 32)', 'A')).toThrow('shift by 32 is out of range for a 32-bit value');
    expect(() => value('#define A(x) x', 'A')).toThrow('A is a function-like macro');
  });

  it('follows #if/#ifdef/#ifndef/#elif/#else/#endif, defined(), #undef, and IS_ENABLED-style pasting', () => {
    const text = [
      '#define ON 1',
      '#if defined(ON) && ON > 0',
      '#define A 1',
      '#elif 1',
      '#define A 2',
      '#else',
      '#define A 3',
      '#endif',
      '#ifndef ON',
      '#define B 1',
      '#else',
      '#define B 2',
      '#endif',
      '#define C 1',
      '#undef C',
      '#ifdef C',
      '#define D 1',
      '#endif',
      '#define __ARG_PLACEHOLDER_1 0,',
      '#define __take_second_arg(__ignored, val, ...) val',
      '#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)',
      '#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)',
      '#define IS_ENABLED(option) ___is_defined(option)',
      '#if IS_ENABLED(ON)',
      '#define E 1',
      '#endif',
      '#if IS_ENABLED(OFF)',
      '#define F 1',
      '#endif',
      'struct s { int x; };',
    ].join('\n');
    const h = readHeader(text, 'test.h', () => undefined);
    expect([...h.defines.keys()].filter((k) => k.length === 1)).toEqual(['A', 'B', 'E']);
    expect(h.defines.get('A')!.body.map((t) => t.v)).toEqual(['1']);
    expect(h.defines.get('B')!.body.map((t) => t.v)).toEqual(['2']);
    expect(h.undefs).toEqual(new Set(['C']));
    expect(h.code.trim()).toBe('struct s { int x; };');
  });

  it('reads defines across continued lines and comments, with their file and line', () => {
    const h = readHeader('/* x */\n#define A (1 | \\\n  2) /* two */\n// #define B 1\n', 'f.h', () => undefined);
    expect(evalMacro('A', (n) => h.defines.get(n)).value).toBe(3n);
    expect(h.defines.get('A')!.where).toBe('f.h:2');
    expect(h.defines.has('B')).toBe(false);
    expect(parseDefine('F(a, b) a', 'x')?.params).toEqual(['a', 'b']);
  });
});

describe('headers: a kernel build directory (fixtures/headers/kernel)', () => {
  const scope = () => toolMacros(fixtureHost(), [], { kernelHeaders: () => ({ dir: KERNEL, why: '' }) }).scope;

  it('evaluates GFP composites, TASK_* states, PAGE_SIZE through _AC pasting, the configuration', () => {
    const s = scope();
    const get = (n: string) => {
      const c = s.constant(n)!;
      return [c.value, c.size, c.signed, c.source.replace(KERNEL, '')];
    };
    expect(get('GFP_ATOMIC')).toEqual([0xa20n, 4, false, 'kernel headers (/include/linux/gfp_types.h:24)']);
    expect(get('GFP_KERNEL')).toEqual([0xcc0n, 4, false, 'kernel headers (/include/linux/gfp_types.h:25)']);
    expect(get('__GFP_NOLOCKDEP')).toEqual([0n, 4, false, 'kernel headers (/include/linux/gfp_types.h:23)']);
    expect(get('TASK_KILLABLE')).toEqual([0x102n, 4, true, 'kernel headers (/include/linux/sched.h:6)']);
    expect(get('PAGE_SIZE')).toEqual([4096n, 8, false, 'kernel headers (/arch/x86/include/asm/page_types.h:5)']);
    expect(get('PAGE_MASK')[0]).toBe(0xfffffffffffff000n);
    // page_32_types.h is the 32-bit kernel's: the 64-bit one answers.
    expect(get('THREAD_SIZE')).toEqual([16384n, 8, false, 'kernel headers (/arch/x86/include/asm/page_64_types.h:2)']);
    expect(get('FIXTURE_FAST_TICK')[0]).toBe(1n);
  });

  it('a name a header uses without defining it (an enumerator) comes from BTF', () => {
    // kinds.btf has enum color { RED, GREEN, BLUE }: the fixture's FIXTURE_USES_ENUM is not found…
    expect(() => scope().constant('FIXTURE_USES_ENUM')).toThrow(/FIXTURE_ENUM_BIT/);
    // …and a header set whose fallback knows the enumerator evaluates it.
    const set = new HeaderSet(
      { paths: () => ['a.h'], read: () => '#define USES (GREEN << 4)\n' },
      () => undefined,
      (n) => btfEnumSource(() => kindsBtf()).constant(n),
    );
    expect(set.constant('USES', 'x')?.value).toBe(16n);
  });

  it('member aliases of installed headers; a definition that is no constant says so', () => {
    const s = scope();
    expect(s.alias('sk_fixture_only')).toEqual({
      name: 'sk_fixture_only',
      path: ['__sk_common', 'skc_fixture_only'],
      source: `kernel headers (${KERNEL}/include/net/sock.h:6)`,
    });
    // The built-in table answers first for the names it has.
    expect(s.alias('sk_dport')?.source).toBe('built-in (net/sock.h)');
    expect(() => s.constant('FIXTURE_NOT_A_CONSTANT')).toThrow(
      "'FIXTURE_NOT_A_CONSTANT' is defined but is not an integer constant here (kernel headers: sizeof is not supported in constants)",
    );
  });

  it('include directories: arch first, Debian common beside it', () => {
    expect(kernelIncludeDirs(KERNEL, 'x64').map((d) => d.replace(`${KERNEL}/`, ''))).toEqual([
      'arch/x86/include/asm',
      'include/generated',
      'include/linux',
      'include/uapi/linux',
      'include/net',
    ]);
  });
});

describe('-I headers', () => {
  it("reads a header's constants (over other sources' names), member aliases and conditionals", () => {
    const text = readFileSync(`${FIXTURES}user.h`, 'utf8');
    const s = toolMacros(fixtureHost(), [{ shown: 'user.h', path: `${FIXTURES}user.h`, text }], { kernelHeaders: () => ({ why: 'none here' }) }).scope;
    const v = (n: string) => s.constant(n)?.value;
    expect(v('APP_MAGIC')).toBe(0x1234n);
    expect(v('APP_FLAGS')).toBe(0x1040n);
    expect(v('APP_SHIFTED')).toBe(1n << 40n);
    expect(v('APP_NEGATIVE')).toBe(-0x1234n);
    expect(v('APP_MODE')).toBe(2n);
    expect(v('APP_BIGGEST')).toBe(0x1234n);
    expect(s.constant('APP_MAGIC')?.source).toBe('-I user.h (user.h:4)');
    expect(s.alias('req_len')?.path).toEqual(['hdr', 'len']);
  });

  it('finds a -I argument: a path or a file here (read with its structs), else an installed header (macros only)', () => {
    const read = (_shown: string, path: string) => readFileSync(path, 'utf8');
    expect(findInclude('fixtures/headers/user.h', read)).toMatchObject({ shown: 'fixtures/headers/user.h', path: `${FIXTURES}user.h`, file: true });
    expect(findInclude('./fixtures/headers/user.h', read).file).toBe(true);
    const missing = findInclude('<linux/polytrace-nothere.h>', read);
    expect(missing.text).toBeUndefined();
    expect(missing.file).toBeUndefined();
    expect(missing.path?.endsWith('/usr/include')).toBe(true);
  });

  it('one line for a header that is not installed; the run goes on', () => {
    const m = toolMacros(fixtureHost(), [{ shown: 'linux/nothere.h', path: '/usr/include' }], { kernelHeaders: () => ({ why: 'none here' }) });
    expect(m.notes).toEqual(['-I linux/nothere.h: not installed (looked in /usr/include): kernel types and constants come from BTF']);
    expect(m.scope.constant('O_CREAT')?.value).toBe(64n);
  });
});

describe('the uapi table (uapi.gen.ts)', () => {
  it('has the uapi names, per arch where they differ', () => {
    const v = (n: string, a: 'x64' | 'arm64') => uapiEntry(n, a)?.[0];
    expect(['O_CREAT', 'EAGAIN', 'SIGKILL', 'PROT_READ', 'MAP_SHARED', 'AF_INET', 'SOCK_STREAM', 'IPPROTO_UDP', 'CLONE_VM'].map((n) => v(n, 'x64'))).toEqual([
      '64',
      '11',
      '9',
      '1',
      '1',
      '2',
      '1',
      '17',
      '256',
    ]);
    expect([v('O_DIRECTORY', 'x64'), v('O_DIRECTORY', 'arm64')]).toEqual(['65536', '16384']);
    expect(v('MAP_32BIT', 'arm64')).toBeUndefined();
    expect(uapiSource('x64').constant('O_CREAT')).toEqual({
      name: 'O_CREAT',
      value: 64n,
      size: 4,
      signed: true,
      source: 'uapi table (asm-generic/fcntl.h, x64)',
    });
  });

  it("holds no kernel-internal names (GFP flags, TASK_* states, PAGE_SIZE): those are the running kernel's", () => {
    const names = [...Object.keys(UAPI_COMMON), ...Object.keys(UAPI_ARCH.x64), ...Object.keys(UAPI_ARCH.arm64)];
    expect(names.filter((n) => /^(_*GFP_|TASK_(RUNNING|INTERRUPTIBLE|UNINTERRUPTIBLE)$|PAGE_SIZE$)/.test(n))).toEqual([]);
  });
});

describe('kernel BTF and print formats', () => {
  it('enumerators by name, typed as C types them (int, else wider)', () => {
    const s = btfEnumSource(() => kindsBtf());
    expect(s.constant('BLUE')).toEqual({ name: 'BLUE', value: 2n, size: 4, signed: true, source: 'kernel BTF (enum color)' });
    expect(s.constant('MINUS_ONE')?.value).toBe(-1n);
    expect(s.constant('BIG_LARGE')).toMatchObject({ value: 0x100000000n, size: 8, signed: true });
    expect(s.constant('NO_SUCH')).toBeUndefined();
    expect(enumerators(kindsBtf()).get('GREEN')).toEqual({ values: [1n], enums: ['enum color'] });
  });

  it.skipIf(skipLive)('GFP bits numbered in an enum (6.10+): __GFP_HIGH is 1 << ___GFP_HIGH_BIT', () => {
    const btf = liveBtf();
    const bit = enumerators(btf).get('___GFP_HIGH_BIT');
    const s = btfEnumSource(() => btf);
    if (bit)
      expect(s.constant('__GFP_HIGH')).toMatchObject({ value: 1n << bit.values[0]!, size: 4, signed: false, source: 'kernel BTF (1 << ___GFP_HIGH_BIT)' });
    else expect(s.constant('__GFP_HIGH')).toBeUndefined();
  });

  it('GFP names from a print format, 6.1 style (hex) and 6.10+ style (shifts)', () => {
    const old = `"gfp_flags=%s", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|", {(unsigned long)((( gfp_t)0x20u)|(( gfp_t)0x200u)|(( gfp_t)0x800u)), "GFP_ATOMIC"}, {(unsigned long)(( gfp_t)0x20u), "__GFP_HIGH"}, {(unsigned long)0x1, "OTHER"}) : "none"`;
    const now = `__print_flags(REC->gfp_flags, "|", {( unsigned long)((( gfp_t)((((1UL))) << (5)))|(( gfp_t)((((1UL))) << (11)))), "GFP_ATOMIC"}, {( unsigned long)(( gfp_t)((((1UL))) << (0))), "__GFP_DMA"})`;
    expect(printFormatNames(old, /GFP_/)).toEqual(
      new Map([
        ['GFP_ATOMIC', { value: 0xa20n, size: 8, signed: false }],
        ['__GFP_HIGH', { value: 0x20n, size: 8, signed: false }],
      ]),
    );
    const s = printFormatSource(() => now, 'tracefs kmem/kmalloc');
    expect(s.constant('GFP_ATOMIC')).toEqual({
      name: 'GFP_ATOMIC',
      value: 0x820n,
      size: 4,
      signed: false,
      source: 'kernel print formats (tracefs kmem/kmalloc)',
    });
    expect(s.constant('__GFP_DMA')?.value).toBe(1n);
    expect(s.constant('OTHER')).toBeUndefined();
    expect(printFormatSource(() => undefined, 'x').constant('GFP_ATOMIC')).toBeUndefined();
  });
});

describe('the checker', () => {
  const site = { kind: 'raw_tracepoint' as const };

  it('constants in expressions: values and C types from their source', () => {
    const ctx = probeContext(site, { btf: kindsBtf(), arch: 'x64' });
    expect(check('O_CREAT | O_TRUNC', ctx).node).toMatchObject({ k: 'arith' });
    expect(typeOf('O_CREAT', ctx)).toBe('int');
    expect(typeOf('BIG_LARGE', ctx)).toBe('long');
    expect(check('BLUE', ctx).node).toEqual({ k: 'const', value: 2n });
  });

  it('order: -I first, then BTF, print formats, uapi, built-in aliases, kernel headers; --dump=resolved gets who answered', () => {
    const def = (name: string, v: string): MacroDef => ({ name, body: tokenize(v), where: 'x.h:1' });
    const mine = new HeaderSet({ paths: () => ['x.h'], read: () => '#define O_CREAT 7\n' });
    const s = macroScope([
      { name: '-I x.h', constant: (n) => mine.constant(n, '-I x.h') },
      btfEnumSource(() => kindsBtf()),
      uapiSource('x64'),
      builtinAliases,
    ]).fresh();
    expect(def('A', '1').where).toBe('x.h:1');
    const ctx = probeContext(site, { btf: kindsBtf(), arch: 'x64', macros: s });
    check('O_CREAT + RED + EAGAIN', ctx);
    expect(s.used().map((c) => [c.name, c.source])).toEqual([
      ['O_CREAT', '-I x.h (x.h:1)'],
      ['RED', 'kernel BTF (enum color)'],
      ['EAGAIN', 'uapi table (asm-generic/errno-base.h, x64)'],
    ]);
  });

  it('a name no source has: one message naming it and where it looked', () => {
    const ctx = probeContext(site, {
      btf: kindsBtf(),
      arch: 'x64',
      macros: toolMacros(fixtureHost(), [], { kernelHeaders: () => ({ why: 'no kernel headers at /lib/modules/X/build' }) }).scope,
    });
    let err: unknown;
    try {
      check('arg1 & GFP_NOSUCH', ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprCheckError);
    expect((err as ExprCheckError).message).toBe(
      "unknown name 'GFP_NOSUCH': no parameter or constant of that name (looked in kernel BTF, kernel print formats (tracefs kmem/kmalloc): not available, uapi table, kernel headers: no kernel headers at /lib/modules/X/build)",
    );
    expect((err as ExprCheckError).span).toEqual({ start: 7, end: 17 });
  });

  it('memberPath reads a.b.c only', () => {
    expect(memberPath('__sk_common.skc_dport')).toEqual(['__sk_common', 'skc_dport']);
    expect(memberPath('a->b')).toBeUndefined();
    expect(memberPath('(a.b)')).toBeUndefined();
    expect(memberPath('x')).toBeUndefined();
  });

  describe.skipIf(skipLive)('member aliases on the live kernel BTF', () => {
    const kctx = () => probeContext({ kind: 'kprobe', symbol: 'x' }, { btf: liveBtf(), arch: 'x64', signature: undefined });
    const sig = (text: string) => check(`((struct sock *)arg1)->${text}`, kctx());

    it('sk->sk_dport is sk->__sk_common.skc_dport: same place, same type (the raw network-order u16)', () => {
      const a = sig('sk_dport');
      const b = sig('__sk_common.skc_dport');
      expect(a.node).toEqual({ ...b.node, place: b.node.k === 'load' ? b.node.place : undefined });
      expect(typeOf('((struct sock *)arg1)->sk_dport', kctx())).toBe('__be16');
      expect(typeOf('((struct inet_sock *)arg1)->inet_dport', kctx())).toBe('__be16');
    });

    it('every built-in alias whose path this kernel has resolves; the others say which step is missing', () => {
      const ctx = kctx();
      for (const name of BUILTIN_ALIAS_NAMES) {
        const struct = name.startsWith('inet_') ? 'inet_sock' : name.startsWith('tw_') ? 'inet_timewait_sock' : 'sock';
        try {
          check(`((struct ${struct} *)arg1)->${name}`, ctx);
        } catch (e) {
          expect((e as Error).message, name).toMatch(
            new RegExp(
              `^unknown member '${name}' in struct ${struct}: it stands for [\\w.]+ \\(built-in \\(net/[\\w_]+\\.h\\)\\), and struct \\w+ has no '\\w+' here$`,
            ),
          );
        }
      }
      expect(() => check('((struct sock *)arg1)->sk_nosuch', ctx)).toThrow(/^unknown member 'sk_nosuch' in struct sock/);
    });
  });
});
