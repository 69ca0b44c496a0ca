import { describe, expect, test } from 'vitest';
import { countParses, parseExpr, parseTypeName } from '../../../src/specs/parse.js';
import { printType } from '../../../src/specs/print.js';
import { sexpr, syntaxError, underCaret } from './helpers.js';

const PRECEDENCE: [string, string][] = [
  ['a + b * c', '(+ a (* b c))'],
  ['a * b + c', '(+ (* a b) c)'],
  ['a - b - c', '(- (- a b) c)'],
  ['a / b * c % d', '(% (* (/ a b) c) d)'],
  ['a << 1 + 2', '(<< a (+ 1 2))'],
  ['a >> b << c', '(<< (>> a b) c)'],
  ['a < b == c > d', '(== (< a b) (> c d))'],
  ['a & b == c', '(& a (== b c))'],
  ['a | b ^ c & d', '(| a (^ b (& c d)))'],
  ['!a && b || c', '(|| (&& (! a) b) c)'],
  ['a || b && c', '(|| a (&& b c))'],
  ['a ? b : c ? d : e', '(? a b (? c d e))'],
  ['a ? b ? c : d : e', '(? a (? b c d) e)'],
  ['a || b ? c : d', '(? (|| a b) c d)'],
  ['(a)', 'a'],
  ['(a + b) * c', '(* (+ a b) c)'],
  ['(x)-1', '(- x 1)'],
  ['(u32)-1', '(cast u32 (- 1))'],
  ['(u32)x - 1', '(- (cast u32 x) 1)'],
  ['(int)retval < 0', '(< (cast int retval) 0)'],
  ['(foo *)p', '(cast foo * p)'],
  ['(struct task_struct *)$task', '(cast struct task_struct * $task)'],
  ['(char*)$retval', '(cast char * $retval)'],
  ['(unsigned long)x', '(cast unsigned long x)'],
  ['(const char *)p', '(cast const char * p)'],
  ['(enum e)x', '(cast enum e x)'],
  ['(u64)(a + b)', '(cast u64 (+ a b))'],
  ['(int)a->b', '(cast int (-> a b))'],
  ['(struct sock *)arg1->sk', '(cast struct sock * (-> arg1 sk))'],
  ['((struct sock *)arg1)->sk', '(-> (cast struct sock * arg1) sk)'],
  ['-1', '(- 1)'],
  ['- -1', '(- (- 1))'],
  ['~0u', '(~ 0u)'],
  ['*p', '(* p)'],
  ['**pp', '(* (* pp))'],
  ['&x->y', '(& (-> x y))'],
  ['-a[1]', '(- ([] a 1))'],
  ['a * *p', '(* a (* p))'],
  ['a->b.c[2]', '([] (. (-> a b) c) 2)'],
  ['a[i][j]', '([] ([] a i) j)'],
  ['$latency/$entry(count)', '(/ $latency $entry(count))'],
  ['args->nr_sector*512', '(* (-> args nr_sector) 512)'],
  ['$task->fs->users', '(-> (-> $task fs) users)'],
  ['STRCMP("a:b", x)', '(STRCMP "a:b" x)'],
  ['max(a, b + 1)', '(call max a (+ b 1))'],
  ['f()', '(call f)'],
  ['arg2@user', 'arg2@user'],
  ['arg10 + marg1 + retval2', '(+ (+ arg10 marg1) retval2)'],
  ['ctx->dx', '(-> ctx dx)'],
  ['$PID + $TID + $UID + $GID', '(+ (+ (+ $PID $TID) $UID) $GID)'],
  ['$COMM', '$COMM'],
  ['$cpu * $pid - $tgid / $uid % $gid', '(- (* $cpu $pid) (% (/ $tgid $uid) $gid))'],
  ['a->u32', '(-> a u32)'],
  ['x & 0x40 != 0', '(& x (!= 64 0))'],
];

describe('expression precedence and associativity (as C)', () => {
  test.each(PRECEDENCE)('%s', (src, want) => {
    expect(countParses(() => parseExpr(src))).toEqual([1]);
    expect(sexpr(parseExpr(src))).toBe(want);
  });
});

describe('literals', () => {
  test.each([
    ['0x1F', 31n, 'hex', ''],
    ['0XffUL', 255n, 'hex', 'ul'],
    ['017', 15n, 'octal', ''],
    ['0', 0n, 'decimal', ''],
    ['100', 100n, 'decimal', ''],
    ['10ul', 10n, 'decimal', 'ul'],
    ['10lu', 10n, 'decimal', 'ul'],
    ['1ULL', 1n, 'decimal', 'ull'],
    ['1ll', 1n, 'decimal', 'll'],
    ['7L', 7n, 'decimal', 'l'],
    ['0u', 0n, 'decimal', 'u'],
    ['18446744073709551615', 18446744073709551615n, 'decimal', ''],
  ] as const)('%s', (src, value, radix, suffix) => {
    expect(parseExpr(src)).toMatchObject({ kind: 'int', value, radix, suffix });
  });

  test('characters', () => {
    expect(parseExpr("'a'")).toMatchObject({ kind: 'char', value: 97 });
    expect(parseExpr("'\\n'")).toMatchObject({ kind: 'char', value: 10 });
    expect(parseExpr("'\\x41'")).toMatchObject({ kind: 'char', value: 65 });
    expect(parseExpr("'\\0'")).toMatchObject({ kind: 'char', value: 0 });
    expect(parseExpr("'\\''")).toMatchObject({ kind: 'char', value: 39 });
  });

  test('strings are decoded', () => {
    expect(parseExpr('"a\\tb\\"c\\\\"')).toMatchObject({ kind: 'string', value: 'a\tb"c\\', bytes: [97, 9, 98, 34, 99, 92] });
    expect(parseExpr('"\\xff\\101é"')).toMatchObject({ kind: 'string', value: '\u00ffAé', bytes: [0xff, 0x41, 0xc3, 0xa9] });
    expect(parseExpr('"a,b)(:"')).toMatchObject({ kind: 'string', value: 'a,b)(:' });
  });

  test('special identifiers get their own kinds', () => {
    expect(parseExpr('arg3')).toEqual({ kind: 'arg', index: 3, user: false, span: { start: 0, end: 4 } });
    expect(parseExpr('retval')).toMatchObject({ kind: 'retval', dollar: false });
    expect(parseExpr('$retval')).toMatchObject({ kind: 'retval', dollar: true });
    expect(parseExpr('$latency')).toMatchObject({ kind: 'latency' });
    expect(parseExpr('$entry( size )')).toMatchObject({ kind: 'entry', name: 'size', nameSpan: { start: 8, end: 12 }, span: { start: 0, end: 14 } });
    expect(parseExpr('args')).toMatchObject({ kind: 'args' });
    expect(parseExpr('ctx')).toMatchObject({ kind: 'ctx' });
    expect(parseExpr('$task')).toMatchObject({ kind: 'builtin', name: '$task' });
    expect(parseExpr('arg0')).toMatchObject({ kind: 'ident', name: 'arg0' });
  });

  test('spans cover the node', () => {
    const e = parseExpr('  (u32)(a + b) * c');
    expect(e.span).toEqual({ start: 2, end: 18 });
    expect(e.kind === 'binary' && e.left.span).toEqual({ start: 2, end: 14 });
  });
});

describe('type names', () => {
  test.each([
    ['unsigned', 'unsigned int'],
    ['long int', 'long'],
    ['unsigned long long int', 'unsigned long long'],
    ['signed char', 'signed char'],
    ['short unsigned', 'unsigned short'],
    ['long double', 'long double'],
    ['char*', 'char *'],
    ['char **', 'char **'],
    ['const char __user *', 'const char __user *'],
    ['struct sock *', 'struct sock *'],
    ['union u', 'union u'],
    ['size_t', 'size_t'],
    ['gfp_t', 'gfp_t'],
    ['void', 'void'],
  ])('%s', (src, want) => {
    expect(printType(parseTypeName(src))).toBe(want);
  });

  test('structure', () => {
    expect(parseTypeName('u32')).toMatchObject({ base: { kind: 'typedef', name: 'u32', known: true }, pointer: 0 });
    expect(parseTypeName('gfp_t')).toMatchObject({ base: { kind: 'typedef', name: 'gfp_t', known: true } });
    expect(parseTypeName('umode_t')).toMatchObject({ base: { kind: 'typedef', name: 'umode_t', known: true } });
    expect(parseTypeName('my_t')).toMatchObject({ base: { kind: 'typedef', name: 'my_t', known: false } });
    expect(parseTypeName('enum x')).toMatchObject({ base: { kind: 'enum', name: 'x' } });
  });

  test.each(['int int', 'unsigned float', 'long long long', 'signed void', 'struct', 'char const char'])('rejects %s', (src) => {
    syntaxError(() => parseTypeName(src));
  });
});

describe('expression errors', () => {
  test.each([
    ['a +', 'unexpected end of input', ''],
    ['(foo)x', "unexpected 'x'", 'x'],
    ['12abc', "invalid integer literal '12abc'", '12abc'],
    ['0x', "invalid integer literal '0x'", '0x'],
    ['09', "invalid integer literal '09'", '09'],
    ['99999999999999999999', "integer literal '99999999999999999999' does not fit in 64 bits", '99999999999999999999'],
    ['$foo', "unknown special variable '$foo'", '$foo'],
    ['$entry', 'unexpected end of input', ''],
    ['$entry(1)', "number '1'", '1'],
    ['arg1@kernel', "'@' is only allowed in 'argN@user', got 'arg1@kernel'", 'arg1@kernel'],
    ['a = b', "unexpected '=' (assignment is not supported; use '==' to compare)", '='],
    ['sizeof(int)', 'sizeof is not supported', 'sizeof'],
    ['STRCMP(x, "a")', 'STRCMP takes a string literal and an expression', 'STRCMP(x, "a")'],
    ['STRCMP("a")', 'STRCMP takes a string literal and an expression', 'STRCMP("a")'],
    ["'ab'", "character literal 'ab' must be a single byte", "'ab'"],
    ["''", 'empty character literal', "''"],
    ['"\\q"', "unknown escape sequence '\\q'", '\\q'],
    ['"abc', 'unterminated string literal', '"abc'],
    ['a # b', "unexpected character '#'", '#'],
    ['', 'empty expression', ''],
    ['a b', "unexpected 'b'", 'b'],
    ['(a', 'unexpected end of input', ''],
    ['a)', "unexpected ')'", ')'],
  ])('%s', (src, message, at) => {
    const e = syntaxError(() => parseExpr(src));
    expect(e.message).toContain(message);
    expect(underCaret(e)).toBe(at);
  });

  test('expected-token hints', () => {
    const e = syntaxError(() => parseExpr('a->'));
    expect(e.hints).toEqual(['expected identifier, type name']);
  });
});
