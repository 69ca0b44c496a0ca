/**
 * Rust names through rustc-demangle (the gecko-profiler-demangle wasm, src/symbols/demangle-rust.ts):
 * loaded only when a Rust name is demangled; a table of v0 and legacy names written from the v0
 * specification (RFC 2603) and checked with c++filt; real rustc 1.95 symbols
 * (fixtures/demangle/, gen.sh) compared with c++filt; names stay raw if the wasm cannot load.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demangle } from '../../../src/symbols/demangle.js';
import { reloadRustDemanglerFrom, rustDemanglerState } from '../../../src/symbols/demangle-rust.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'demangle');

/** [mangled, what we print]: rustc-demangle's short form (no crate hashes, no legacy `::h…` hash). */
const TABLE: readonly (readonly [string, string])[] = [
  // v0: a crate root (C) with its disambiguator (s1234_), nested value (Nv) and type (Nt) namespaces.
  ['_RNvNtCs1234_7mycrate3foo3bar', 'mycrate::foo::bar'],
  // Closures (NC, empty name) numbered by their disambiguator, with an instantiating crate (B3_).
  ['_RNCNvCs1234_7mycrate4main0B3_', 'mycrate::main::{closure#0}'],
  ['_RNCNvCs1234_7mycrate4mains_0B3_', 'mycrate::main::{closure#1}'],
  // Generic arguments (I … E), an inherent impl (M) and a trait impl (X) with back references.
  ['_RINvCs1234_7mycrate3fooNtNtCs5678_5alloc6string6StringE', 'mycrate::foo::<alloc::string::String>'],
  ['_RNvMNtCs1234_7mycrate6shapesNtB2_6Circle4area', '<mycrate::shapes::Circle>::area'],
  ['_RNvXCs1234_7mycrateNtB2_6CircleNtB2_4Area4area', '<mycrate::Circle as mycrate::Area>::area'],
  // A const generic (K), a tuple of references to a slice and a u32, a function pointer, dyn Trait.
  ['_RINvCs1234_7mycrate3fooKj4_E', 'mycrate::foo::<4>'],
  ['_RINvCs1234_7mycrate3fooTRShRL_mEE', 'mycrate::foo::<(&[u8], &u32)>'],
  ['_RINvCs1234_7mycrate3fooFUKCdEuE', 'mycrate::foo::<unsafe extern "C" fn(f64)>'],
  ['_RINvCs1234_7mycrate3fooDNtB2_5Debugp4ItemNtB2_3BarEL_E', 'mycrate::foo::<dyn mycrate::Debug<Item = mycrate::Bar>>'],
  // Legacy: Itanium-shaped, `$LT$`/`$GT$`/`$u20$` escapes, `..` for `::`, a hash element last.
  ['_ZN4core3ptr13drop_in_place17h0123456789abcdefE', 'core::ptr::drop_in_place'],
  ['_ZN58_$LT$alloc..string..String$u20$as$u20$core..fmt..Debug$GT$3fmt17h0123456789abcdefE', '<alloc::string::String as core::fmt::Debug>::fmt'],
  ['_ZN7mycrate4main28_$u7b$$u7b$closure$u7d$$u7d$17hfedcba9876543210E', 'mycrate::main::{{closure}}'],
];

function cxxfilt(names: readonly string[]): string[] {
  return execFileSync('c++filt', { input: names.join('\n') })
    .toString()
    .trimEnd()
    .split('\n');
}

/**
 * c++filt prints rustc-demangle's long form: crate disambiguators (`core[c1f1a4ba060b9bfa]`), the
 * legacy hash (`::h0123456789abcdef`) and the type of a const argument (`4: usize`). We print the
 * short form (`{:#}`), as perf and the Firefox profiler do; this turns the long into the short.
 */
function shortForm(s: string): string {
  return s
    .replace(/\[[0-9a-f]{1,16}\]/g, '')
    .replace(/::h[0-9a-f]{16}$/, '')
    .replace(/\b(\d+|true|false|'.'): (?:[iu](?:8|16|32|64|128|size)|bool|char)\b/g, '$1');
}

describe('Rust names', () => {
  it('loads the wasm only when a Rust name is demangled', () => {
    demangle('_ZNSt6vectorIiSaIiEE9push_backERKi');
    demangle('malloc');
    expect(rustDemanglerState()).toBe('unloaded');
    expect(demangle('_RNvNtCs1234_7mycrate3foo3bar')).toBe('mycrate::foo::bar');
    expect(rustDemanglerState()).toBe('loaded');
  });

  it.each(TABLE)('%s', (mangled, want) => {
    expect(demangle(mangled)).toBe(want);
  });

  it('the table agrees with c++filt (binutils’ Rust demangler)', () => {
    const names = TABLE.map(([m]) => m);
    expect(cxxfilt(names).map(shortForm)).toEqual(TABLE.map(([, d]) => d));
  });

  it.each(['rust-v0.txt', 'rust-legacy.txt'])('agrees with c++filt on every function symbol of %s (rustc 1.95)', (file) => {
    const names = readFileSync(join(FIXTURES, file), 'utf8').trim().split('\n');
    expect(names.length).toBeGreaterThan(file === 'rust-v0.txt' ? 150 : 15);
    const want = cxxfilt(names).map(shortForm);
    const wrong = names.map((n, i) => [n, demangle(n), want[i]] as const).filter(([, got, w]) => got !== w);
    expect(wrong).toEqual([]);
  });

  it('leaves names that are no Rust (or no valid Rust) alone', () => {
    for (const n of ['_R', '_Rfoo', '_RNvC5mycrate4main', 'rust_main', '_ZN3foo3barE']) {
      expect(demangle(n)).toBe(n === '_ZN3foo3barE' ? 'foo::bar' : n);
    }
  });

  it('prints names raw when the wasm cannot be loaded', () => {
    reloadRustDemanglerFrom(join(FIXTURES, 'no-such.wasm'));
    expect(demangle('_RNvNtCs1234_7mycrate3foo3bar')).toBe('_RNvNtCs1234_7mycrate3foo3bar');
    expect(rustDemanglerState()).toBe('failed');
    // C++ does not need it.
    expect(demangle('_Z3fooi')).toBe('foo(int)');
  });
});
