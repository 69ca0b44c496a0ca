import { describe, expect, it } from 'vitest';
import { ResolveError } from '../../../src/errors.js';
import fc from 'fast-check';
import { globToRegExp, globToRegExpSource, matchNames, translatePythonRegex, userRegExp, wildcardMatch } from '../../../src/symbols/match.js';

// Expected results computed with CPython 3.11 `re.match` on the same names.
const NAMES = [
  'os.Open',
  'osXOpen',
  'os',
  'osX',
  'strlen',
  'stlen',
  'strnlen',
  'read',
  'write',
  'rewrite',
  'readv',
  'pread64',
  'vfs_read',
  'vfs_write',
  'vfs_readv',
  'a.b',
  'aXb',
  '__x64_sys_read',
  'tcp_sendmsg',
  'tcp_v4_connect',
  'c',
  'cc',
];

describe('globToRegExp (BCC: * -> .*, ^…$, nothing else escaped)', () => {
  const table: [string, string, string[]][] = [
    ['os.*', '^os..*$', ['os.Open', 'osXOpen', 'osX']],
    ['str?len', '^str?len$', ['strlen', 'stlen']],
    ['(read|write)', '^(read|write)$', ['read', 'write']],
    ['read|write', '^read|write$', ['read', 'write', 'readv']],
    ['vfs_*', '^vfs_.*$', ['vfs_read', 'vfs_write', 'vfs_readv']],
    ['a.b', '^a.b$', ['a.b', 'aXb']],
    ['*read*', '^.*read.*$', ['read', 'readv', 'pread64', 'vfs_read', 'vfs_readv', '__x64_sys_read']],
    ['tcp_*', '^tcp_.*$', ['tcp_sendmsg', 'tcp_v4_connect']],
    ['c+', '^c+$', ['c', 'cc']],
    ['nosuch', '^nosuch$', []],
  ];
  it.each(table)('%s -> %s', (glob, source, want) => {
    expect(globToRegExpSource(glob)).toBe(source);
    expect(matchNames(NAMES, globToRegExp(glob))).toEqual(want);
  });

  it('an invalid glob is a ResolveError naming the regex', () => {
    expect(() => globToRegExp('str(')).toThrow(ResolveError);
    expect(() => globToRegExp('str(')).toThrow(/^invalid regular expression '\^str\(\$': /);
  });
});

describe('userRegExp (-r: Python re.match, start-anchored only)', () => {
  const table: [string, string[]][] = [
    ['vfs_(read|write)$', ['vfs_read', 'vfs_write']],
    ['read', ['read', 'readv']],
    ['.*read', ['read', 'readv', 'pread64', 'vfs_read', 'vfs_readv', '__x64_sys_read']],
    ['tcp_(?P<x>v4|send)', ['tcp_sendmsg', 'tcp_v4_connect']],
    ['(?i)VFS_READ', ['vfs_read', 'vfs_readv']],
    ['[]a-c]', ['a.b', 'aXb', 'c', 'cc']],
    ['x{,2}', NAMES],
    ['read|write', ['read', 'write', 'readv']],
    ['(?P<w>[a-z])(?P=w)', ['cc']],
    ['\\Aos\\Z', ['os']],
    ['a(?#comment)\\.b', ['a.b']],
  ];
  it.each(table)('%s', (re, want) => {
    expect(matchNames(NAMES, userRegExp(re))).toEqual(want);
  });

  it('invalid expressions: ResolveError with the reason', () => {
    const bad: [string, RegExp][] = [
      ['str(', /^invalid regular expression 'str\(': .*(Unterminated group|unterminated)/i],
      ['a)|(b', /^invalid regular expression 'a\)\|\(b': /],
      ['a**', /^invalid regular expression 'a\*\*': /],
      ['\\q', /^invalid regular expression '\\q': bad escape \\q at position 0$/],
      ['[abc', /^invalid regular expression '\[abc': unterminated character set/],
      ['a++', /possessive quantifiers are not supported/],
      ['(?>ab)', /atomic groups/],
      ['(?i:ab)', /scoped inline flags/],
      ['(?x)a b', /verbose patterns/],
      ['a(?i)', /global flags not at the start/],
      ['(?(1)a|b)', /conditional groups/],
    ];
    for (const [re, msg] of bad) {
      expect(() => userRegExp(re), re).toThrow(ResolveError);
      expect(() => userRegExp(re), re).toThrow(msg);
    }
  });
});

describe('translatePythonRegex', () => {
  it('translations', () => {
    expect(translatePythonRegex('(?P<n>a)(?P=n)')).toEqual({ source: '(?<n>a)\\k<n>', flags: '' });
    expect(translatePythonRegex('(?ims)x')).toEqual({ source: 'x', flags: 'ims' });
    expect(translatePythonRegex('\\a[\\a]')).toEqual({ source: '\\x07[\\x07]', flags: '' });
    expect(translatePythonRegex('[^]x]')).toEqual({ source: '[^\\]x]', flags: '' });
    expect(translatePythonRegex('a{,3}b{2}c{')).toEqual({ source: 'a{0,3}b{2}c\\{', flags: '' });
    expect(translatePythonRegex('(?:a)(?=b)(?!c)(?<=d)(?<!e)')).toEqual({
      source: '(?:a)(?=b)(?!c)(?<=d)(?<!e)',
      flags: '',
    });
    expect(translatePythonRegex('\\d\\w\\s\\.\\*\\1')).toEqual({ source: '\\d\\w\\s\\.\\*\\1', flags: '' });
  });
});

describe('matchNames', () => {
  it('keeps first-occurrence order and drops duplicates', () => {
    expect(matchNames(['b1', 'a1', 'b1', 'c', 'a1', 'a2'], /^[ab]/)).toEqual(['b1', 'a1', 'a2']);
  });
  it('is safe with global regexes', () => {
    expect(matchNames(['ab', 'ab2', 'ab3'], /ab/g)).toEqual(['ab', 'ab2', 'ab3']);
  });
});

describe('glob matching is linear (issue 20: backtracking on runs of *)', () => {
  it('many stars, contiguous or apart, against names that almost match', () => {
    const names = ['a'.repeat(60), `${'a'.repeat(59)}b`, 'sched_switch', 'x'];
    expect(matchNames(names, globToRegExp(`${'*'.repeat(40)}x`))).toEqual(['x']);
    expect(matchNames(names, globToRegExp(`${'a*'.repeat(30)}c`))).toEqual([]);
    expect(matchNames(names, globToRegExp(`${'*a'.repeat(30)}*b`))).toEqual([`${'a'.repeat(59)}b`]);
    expect(matchNames(names, globToRegExp('sched:********************x'))).toEqual([]);
  });

  it('wildcardMatch agrees with BCC regex for globs of letters, "." and "*"', () => {
    const glob = fc.stringMatching(/^[ab.*]{0,8}$/);
    const name = fc.stringMatching(/^[abc]{0,8}$/);
    fc.assert(
      fc.property(glob, name, (g, n) => {
        expect(wildcardMatch(g, n)).toBe(new RegExp(globToRegExpSource(g)).test(n));
        expect(globToRegExp(g).test(n)).toBe(new RegExp(globToRegExpSource(g)).test(n));
      }),
      { numRuns: 3000 },
    );
  });
});
