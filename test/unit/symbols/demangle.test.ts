import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demangle, isMangled } from '../../../src/symbols/demangle.js';
import { buildCxx } from '../../helpers/cbuild.js';

const NAMES = [
  '_ZNSt6vectorIiSaIiEE9push_backERKi',
  '_Z3foov',
  '_Z3fooi',
  '_Z3barPKcz',
  '_ZN3Foo3barEv',
  '_ZNK3Foo3bazEi',
  '_ZN3FooC1Ev',
  '_ZN3FooC2ERKS_',
  '_ZN3FooD0Ev',
  '_ZN3FooD1Ev',
  '_ZNSsC1Ev',
  '_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1EPKcRKS3_',
  '_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv',
  '_ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_',
  '_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc',
  '_Z5firstIiET_S0_',
  '_Z1fILb1EEvv',
  '_Z1fILi5EEvv',
  '_Z1fPFviE',
  '_Z1fPA3_i',
  '_Z1fRA3_i',
  '_Z1fM1AFviE',
  '_Z1fM1Ai',
  '_ZN1AplERKS_',
  '_ZN1AixEi',
  '_ZN1AclEv',
  '_ZN1AcvbEv',
  '_ZN1AnwEm',
  '_ZN1AdaEPv',
  '_ZN12_GLOBAL__N_13fooEv',
  '_ZL6statici',
  '_ZZ4mainE5local',
  '_ZZ4mainENK3$_0clEv',
  '_ZTV3Foo',
  '_ZTI3Foo',
  '_ZTS3Foo',
  '_ZGVZ4mainE1x',
  '_ZThn8_N1B1fEv',
  '_Z3fooB5cxx11v',
  '_Z3foov.cold',
  '_Z3fooi.isra.0',
  '_Z3fooi.constprop.0.isra.0',
  '_ZNSt8ios_base4InitC1Ev',
  '_ZN9__gnu_cxx13new_allocatorIcED2Ev',
  '_ZSt20__throw_length_errorPKc',
  '_ZNSt6thread4joinEv',
  '_Z1fOi',
  '_Z1fDn',
  '_Z1fIJidEEvDpT_',
  '_Z1fIJEEvDpT_',
  '_ZNKSt5ctypeIcE8do_widenEc',
  '_Z1fPVKi',
  '_Z1fPKPc',
  '_ZGTtNKSt11logic_error4whatEv',
  '_ZTIPKDd',
  '_Z1fDfDe',
];

function cxxfilt(names: readonly string[]): string[] {
  return execFileSync('c++filt', { input: names.join('\n') })
    .toString()
    .trimEnd()
    .split('\n');
}

describe('demangle', () => {
  const ref = cxxfilt(NAMES);
  it.each(NAMES.map((n, i) => [n, ref[i]!]))('%s', (name, want) => {
    expect(demangle(name)).toBe(want);
  });

  it('returns what it cannot parse unchanged', () => {
    for (const n of ['main', 'malloc', '_Z', '_Zfoo', '_Z3fo', '_Z1fIXadL_Z1gvEEEvv', '_ZN3Foo3barEv.weird-suffix']) {
      expect(demangle(n)).toBe(n);
    }
    expect(isMangled('_Z3foov')).toBe(true);
    expect(isMangled('_RNvCs1234_7mycrate4main')).toBe(true);
    expect(isMangled('foo')).toBe(false);
  });

  it('keeps a symbol version after the name, as c++filt does', () => {
    expect(demangle('_ZSt20__throw_length_errorPKc@GLIBCXX_3.4')).toBe('std::__throw_length_error(char const*)@GLIBCXX_3.4');
    expect(demangle('_Znwm@@GLIBCXX_3.4')).toBe('operator new(unsigned long)@@GLIBCXX_3.4');
  });

  // Every _Z symbol of a g++ program full of lambdas, std::function, templates, operators,
  // namespaces, constructors and std::map<std::string, …> (test/kernel/workloads/cxxapp.cpp):
  // 436 at -O0 (every template instance out of line), 40 at -O2, with g++ 12.
  it.each(['-O0', '-O2'])('agrees with c++filt on every _Z symbol of cxxapp.cpp (g++ %s)', (level) => {
    const source = readFileSync(join(import.meta.dirname, '..', '..', 'kernel', 'workloads', 'cxxapp.cpp'), 'utf8');
    const exe = buildCxx(`cxxapp${level}`, source, [level]);
    const names = [
      ...new Set(
        execFileSync('nm', [exe])
          .toString()
          .split('\n')
          .map((l) => l.trim().split(/\s+/).pop() ?? '')
          .filter((n) => n.startsWith('_Z')),
      ),
    ].sort();
    expect(names.length).toBeGreaterThan(level === '-O0' ? 400 : 30);
    const want = cxxfilt(names);
    const wrong = names.map((n, i) => [n, demangle(n), want[i]] as const).filter(([, got, w]) => got !== w);
    expect(wrong).toEqual([]);
    // The frame issue 16 was about.
    expect(names.map(demangle)).toContain(
      'std::_Function_handler<unsigned long (int), app::work(int)::{lambda(int)#1}>::_M_invoke(std::_Any_data const&, int&&)',
    );
  });

  it('agrees with c++filt on every libstdc++ export', () => {
    const names = execFileSync('sh', [
      '-c',
      "nm -D --defined-only /usr/lib/x86_64-linux-gnu/libstdc++.so.6 | awk '{print $3}' | sed 's/@.*//' | grep '^_Z' | sort -u",
    ])
      .toString()
      .trim()
      .split('\n');
    const want = cxxfilt(names);
    let same = 0;
    const wrong: string[] = [];
    names.forEach((n, i) => {
      const d = demangle(n);
      if (d === want[i]) same++;
      else if (d !== n) wrong.push(`${n}\n  ours:     ${d}\n  c++filt:  ${want[i]}`);
    });
    expect(wrong).toEqual([]);
    // Every one of Debian 12's 5,864 (78 were left raw before transaction clones and decimal floats).
    expect(same).toBe(names.length);
  });
});
