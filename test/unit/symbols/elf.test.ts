import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ElfFile, crc32, unversioned } from '../../../src/symbols/elf.js';
import { ElfError } from '../../../src/errors.js';
import { buildC } from '../../helpers/cbuild.js';

const SRC = `
#include <stdio.h>
int global_counter = 3;
static int helper(int x) { return x * 2 + global_counter; }
__attribute__((noinline)) int add(int a, int b) { return helper(a) + b; }
__attribute__((noinline)) long mul(long a, long b) { return a * b; }
__attribute__((noinline)) void spin(volatile int *p) { for (int i = 0; i < 10; i++) *p += i; }
int main(int argc, char **argv) { volatile int v = argc; spin(&v); printf("%d %ld\\n", add(v, 2), mul(v, 3)); return 0; }
`;
const LIB = `
int lib_counter;
__attribute__((noinline)) int lib_add(int a, int b) { return a + b + lib_counter; }
__attribute__((noinline)) int lib_twice(int a) { return lib_add(a, a); }
static int lib_local(int a) { return a - 1; }
int lib_use_local(int a) { return lib_local(a) * 3; }
`;

const builds = {
  nopie: () => buildC('elf-nopie', SRC, ['-O1', '-g0', '-no-pie', '-Wl,--build-id']),
  pie: () => buildC('elf-pie', SRC, ['-O1', '-fPIE', '-pie', '-Wl,--build-id']),
  shlib: () => buildC('elf-shlib', LIB, ['-O1', '-fPIC', '-shared', '-Wl,--build-id']),
};

interface NmSym {
  name: string;
  value: bigint;
  size: number;
  type: string;
}
function nmFunctions(path: string, dynamic = false): NmSym[] {
  const out = execFileSync('nm', [...(dynamic ? ['-D'] : []), '-S', '--defined-only', path]).toString();
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 4 && /^[tTiWw]$/.test(f[2]!))
    .map((f) => ({ value: BigInt(`0x${f[0]}`), size: parseInt(f[1]!, 16), type: f[2]!, name: f[3]! }));
}

function readelfSegments(path: string): { type: string; offset: bigint; vaddr: bigint; filesz: bigint; flags: string }[] {
  const out = execFileSync('readelf', ['-lW', path]).toString();
  const segs = [];
  for (const line of out.split('\n')) {
    const m = /^\s+(LOAD)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+([RWE ]+?)\s+0x/.exec(line);
    if (m) segs.push({ type: m[1]!, offset: BigInt(`0x${m[2]}`), vaddr: BigInt(`0x${m[3]}`), filesz: BigInt(`0x${m[4]}`), flags: m[5]!.trim() });
  }
  return segs;
}

/** The textbook computation, done from readelf's own table. */
function readelfFileOffset(path: string, vaddr: bigint): bigint | undefined {
  for (const s of readelfSegments(path)) {
    if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
  }
  return undefined;
}

function readelfBuildId(path: string): string | undefined {
  return /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', path]).toString())?.[1];
}

describe.each(Object.entries(builds))('ELF %s', (kind, build) => {
  const path = build();
  const elf = ElfFile.open(path);

  it('parses the header', () => {
    expect(elf.header.class).toBe(64);
    expect(elf.header.endian).toBe('le');
    expect(elf.header.machine).toBe(62);
    expect(elf.header.type).toBe(kind === 'nopie' ? 'exec' : 'dyn');
  });

  it('function symbols agree with nm', () => {
    const nm = nmFunctions(path);
    expect(nm.length).toBeGreaterThanOrEqual(3);
    for (const s of nm) {
      const ours = elf.functionSymbols().find((f) => f.name === s.name && f.value === s.value);
      expect(ours, s.name).toBeDefined();
      expect(ours!.size).toBe(s.size);
    }
    const names = kind === 'shlib' ? ['lib_add', 'lib_twice', 'lib_use_local'] : ['add', 'mul', 'spin', 'main'];
    for (const n of names) expect(elf.lookupFunction(n)?.value).toBe(nm.find((s) => s.name === n)!.value);
  });

  it('vaddr → file offset agrees with readelf segment math, and round-trips', () => {
    for (const s of nmFunctions(path)) {
      const off = elf.vaddrToFileOffset(s.value);
      expect(off, s.name).toBe(readelfFileOffset(path, s.value));
      expect(elf.fileOffsetToVaddr(off!)).toBe(s.value);
    }
  });

  it('the bytes at the file offset are the function bytes (objdump)', () => {
    const name = kind === 'shlib' ? 'lib_add' : 'add';
    const sym = elf.lookupFunction(name)!;
    const off = Number(elf.vaddrToFileOffset(sym.value)!);
    const dump = execFileSync('objdump', [
      '-d',
      `--start-address=0x${sym.value.toString(16)}`,
      `--stop-address=0x${(sym.value + 4n).toString(16)}`,
      path,
    ]).toString();
    const hex = [...dump.matchAll(/^\s+[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)/gm)]
      .map((m) => m[1]!.trim())
      .join(' ')
      .split(' ')
      .slice(0, 4);
    const ours = [...readFileSync(path).subarray(off, off + 4)].map((b) => b.toString(16).padStart(2, '0'));
    expect(ours).toEqual(hex);
  });

  it('symbolize round-trips every function', () => {
    for (const s of nmFunctions(path)) {
      if (s.size === 0) continue;
      for (const delta of [0n, BigInt(s.size - 1)]) {
        const r = elf.symbolize(s.value + delta);
        expect(r, s.name).toBeDefined();
        expect(r!.symbol.value).toBe(s.value);
        expect(r!.offset).toBe(Number(delta));
      }
    }
  });

  it('build-id agrees with readelf -n', () => {
    expect(elf.buildId()).toBe(readelfBuildId(path));
    expect(elf.buildId()).toMatch(/^[0-9a-f]{40}$/);
  });

  it('notes iterate with the right owners', () => {
    const owners = [...elf.notes()].map((n) => `${n.owner}:${n.type}`);
    expect(owners).toContain('GNU:3');
  });
});

describe('ELF on the real libc', () => {
  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  const elf = ElfFile.open(libc);
  it('finds malloc and its file offset matches readelf math', () => {
    const m = elf.lookupFunction('malloc');
    expect(m).toBeDefined();
    const nm = nmFunctions(libc, true).find((s) => unversioned(s.name) === 'malloc')!;
    expect(m!.value).toBe(nm.value);
    expect(elf.vaddrToFileOffset(m!.value)).toBe(readelfFileOffset(libc, m!.value));
    expect(elf.symbolize(m!.value + 4n)?.offset).toBe(4);
  });
  it('versioned names match unversioned lookups', () => {
    expect(unversioned('malloc@@GLIBC_2.2.5')).toBe('malloc');
    expect(unversioned('@@odd')).toBe('@@odd');
    // Two dynsym entries: memcpy@GLIBC_2.2.5 (FUNC) and memcpy@@GLIBC_2.14 (IFUNC, default).
    const m = elf.lookupFunction('memcpy')!;
    expect(m.type).toBe('ifunc');
    expect(m.version).toBe('GLIBC_2.14');
    expect(m.defaultVersion).toBe(true);
    expect(elf.dynsym().some((s) => s.name === 'memcpy' && s.version === 'GLIBC_2.2.5' && !s.defaultVersion)).toBe(true);
  });
  it('is cached per path', () => {
    expect(ElfFile.open(libc)).toBe(elf);
  });
  it('build-id agrees with readelf', () => {
    expect(elf.buildId()).toBe(readelfBuildId(libc));
  });
  it('reads .gnu_debuglink when present', () => {
    const hasLink = execFileSync('readelf', ['-SW', libc]).toString().includes('.gnu_debuglink');
    const link = elf.debugLink();
    expect(link !== undefined).toBe(hasLink);
  });
});

describe('ELF malformed input', () => {
  it('rejects bad magic and truncation with ElfError', () => {
    expect(() => ElfFile.parse(new Uint8Array(10))).toThrow(ElfError);
    expect(() => ElfFile.parse(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/class/);
    const good = readFileSync(builds.shlib());
    expect(() => ElfFile.parse(good.subarray(0, 200))).toThrow(ElfError);
  });
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('open() of a missing file says so', () => {
    expect(() => ElfFile.open('/nonexistent/x')).toThrow(/cannot open \/nonexistent\/x: ENOENT/);
  });
});
