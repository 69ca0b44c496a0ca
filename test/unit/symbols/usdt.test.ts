import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../../src/symbols/elf.js';
import { formatUsdtArg, parseUsdtArg, parseUsdtArgs, splitUsdtArgs, usdtArgCType, UsdtSpecError, type UsdtArg } from '../../../src/symbols/usdt/args.js';
import { X64_PT_REGS } from '../../../src/symbols/usdt/arch/x64.js';
import { usdtNotes } from '../../../src/symbols/usdt/note.js';
import { findUsdtProbes, usdtProbes } from '../../../src/symbols/usdt/probes.js';
import { buildC } from '../../helpers/cbuild.js';

const R = X64_PT_REGS;
const reg = (name: string, off: number) => ({ name, ptRegsOffset: off });

describe('USDT argument specs, x86-64 (libbpf usdt.c examples and more)', () => {
  const table: [string, UsdtArg][] = [
    ['-4@%edi', { kind: 'reg', reg: 'edi', ptRegsOffset: R.rdi!, size: 4, signed: true }],
    ['-8@%rsi', { kind: 'reg', reg: 'rsi', ptRegsOffset: 104, size: 8, signed: true }],
    ['8@%rax', { kind: 'reg', reg: 'rax', ptRegsOffset: 80, size: 8, signed: false }],
    ['8@%rdx', { kind: 'reg', reg: 'rdx', ptRegsOffset: 96, size: 8, signed: false }],
    ['8@%r10', { kind: 'reg', reg: 'r10', ptRegsOffset: 56, size: 8, signed: false }],
    ['-8@%r8', { kind: 'reg', reg: 'r8', ptRegsOffset: 72, size: 8, signed: true }],
    ['-8@%r9', { kind: 'reg', reg: 'r9', ptRegsOffset: 64, size: 8, signed: true }],
    ['-2@%cx', { kind: 'reg', reg: 'cx', ptRegsOffset: 88, size: 2, signed: true }],
    ['-2@%ax', { kind: 'reg', reg: 'ax', ptRegsOffset: 80, size: 2, signed: true }],
    ['-1@%sil', { kind: 'reg', reg: 'sil', ptRegsOffset: 104, size: 1, signed: true }],
    ['1@%cl', { kind: 'reg', reg: 'cl', ptRegsOffset: 88, size: 1, signed: false }],
    ['-4@%r12d', { kind: 'reg', reg: 'r12d', ptRegsOffset: 24, size: 4, signed: true }],
    ['2@%r15w', { kind: 'reg', reg: 'r15w', ptRegsOffset: 0, size: 2, signed: false }],
    ['1@%r11b', { kind: 'reg', reg: 'r11b', ptRegsOffset: 48, size: 1, signed: false }],
    ['1@%ah', { kind: 'reg', reg: 'ah', ptRegsOffset: 81, size: 1, signed: false }],
    ['-4@%ecx', { kind: 'reg', reg: 'ecx', ptRegsOffset: 88, size: 4, signed: true }],
    ['-4@%esi', { kind: 'reg', reg: 'esi', ptRegsOffset: 104, size: 4, signed: true }],
    ['4@%ebp', { kind: 'reg', reg: 'ebp', ptRegsOffset: 32, size: 4, signed: false }],
    ['8@%rsp', { kind: 'reg', reg: 'rsp', ptRegsOffset: 152, size: 8, signed: false }],
    ['-4@$5', { kind: 'const', value: 5n, size: 4, signed: true }],
    ['-4@$-9', { kind: 'const', value: -9n, size: 4, signed: true }],
    ['4@$71', { kind: 'const', value: 71n, size: 4, signed: false }],
    ['8@$0x10', { kind: 'const', value: 16n, size: 8, signed: false }],
    ['-4@-1204(%rbp)', { kind: 'deref', base: reg('rbp', 32), disp: -1204, size: 4, signed: true }],
    ['-8@-1216(%rbp)', { kind: 'deref', base: reg('rbp', 32), disp: -1216, size: 8, signed: true }],
    ['-4@-20(%rbp)', { kind: 'deref', base: reg('rbp', 32), disp: -20, size: 4, signed: true }],
    ['8@-24(%rbp)', { kind: 'deref', base: reg('rbp', 32), disp: -24, size: 8, signed: false }],
    ['-4@112(%rsp)', { kind: 'deref', base: reg('rsp', 152), disp: 112, size: 4, signed: true }],
    ['8@(%rsp)', { kind: 'deref', base: reg('rsp', 152), disp: 0, size: 8, signed: false }],
    ['8@-80(%rbx)', { kind: 'deref', base: reg('rbx', 40), disp: -80, size: 8, signed: false }],
    ['-4@counter(%rip)', { kind: 'deref', base: reg('rip', 128), disp: 0, symbol: 'counter', size: 4, signed: true }],
    ['8@table+16(%rip)', { kind: 'deref', base: reg('rip', 128), disp: 16, symbol: 'table', size: 8, signed: false }],
    ['1@-96(%rbp,%rax,8)', { kind: 'sib', base: reg('rbp', 32), index: reg('rax', 80), scale: 8, disp: -96, size: 1, signed: false }],
    ['1@(%rbp,%rax,8)', { kind: 'sib', base: reg('rbp', 32), index: reg('rax', 80), scale: 8, disp: 0, size: 1, signed: false }],
    ['1@-96(%rbp,%rax)', { kind: 'sib', base: reg('rbp', 32), index: reg('rax', 80), scale: 1, disp: -96, size: 1, signed: false }],
    ['1@(%rbp,%rax)', { kind: 'sib', base: reg('rbp', 32), index: reg('rax', 80), scale: 1, disp: 0, size: 1, signed: false }],
    ['8@(%rax,%rdx,8)', { kind: 'sib', base: reg('rax', 80), index: reg('rdx', 96), scale: 8, disp: 0, size: 8, signed: false }],
    ['-8@(%r8,%r9,8)', { kind: 'sib', base: reg('r8', 72), index: reg('r9', 64), scale: 8, disp: 0, size: 8, signed: true }],
  ];
  it.each(table)('%s', (text, want) => {
    expect(parseUsdtArg(text, 'x64')).toEqual(want);
  });

  it('splits and parses the libbpf example note', () => {
    const spec = '-4@-1204(%rbp) -4@%edi -8@-1216(%rbp) -8@%r8 -4@$5 -8@%r9 8@%rdx 8@%r10 -4@$-9 -2@%cx -2@%ax -1@%sil';
    const args = parseUsdtArgs(spec, 'x64');
    expect(args).toHaveLength(12);
    expect(args.map(formatUsdtArg).join(' ')).toBe(spec);
    expect(args.map(usdtArgCType)).toEqual([
      'int32_t',
      'int32_t',
      'int64_t',
      'int64_t',
      'int32_t',
      'int64_t',
      'uint64_t',
      'uint64_t',
      'int32_t',
      'int16_t',
      'int16_t',
      'int8_t',
    ]);
    expect(parseUsdtArgs('', 'x64')).toEqual([]);
    expect(parseUsdtArgs(':', 'x64')).toEqual([]);
  });

  it('rejects bad specs with typed errors naming the probe and argument', () => {
    const bad = ['3@%eax', '-4@%xyz', '8@(%rbp,%rax,3)', '-4@$', '8@%fs:0x28', '-4@foo(%rbx)'];
    for (const b of bad) expect(() => parseUsdtArg(b, 'x64'), b).toThrow(UsdtSpecError);
    try {
      parseUsdtArgs('-4@%edi 8@%bogus', 'x64', 'prov:probe');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsdtSpecError);
      const err = e as UsdtSpecError;
      expect(err.argIndex).toBe(1);
      expect(err.text).toBe('8@%bogus');
      expect(err.message).toBe("USDT probe prov:probe: argument #2 '8@%bogus': unknown x86-64 register '%bogus'");
    }
    expect(() => parseUsdtArgs(Array(13).fill('8@%rax').join(' '), 'x64')).toThrow(/too many arguments/);
  });
});

describe('USDT argument specs, arm64', () => {
  const table: [string, UsdtArg][] = [
    ['-4@[sp, 96]', { kind: 'deref', base: reg('sp', 248), disp: 96, size: 4, signed: true }],
    ['-4@[sp]', { kind: 'deref', base: reg('sp', 248), disp: 0, size: 4, signed: true }],
    ['8@[x0, -8]', { kind: 'deref', base: reg('x0', 0), disp: -8, size: 8, signed: false }],
    ['4@5', { kind: 'const', value: 5n, size: 4, signed: false }],
    ['-8@x4', { kind: 'reg', reg: 'x4', ptRegsOffset: 32, size: 8, signed: true }],
    ['-4@w1', { kind: 'reg', reg: 'w1', ptRegsOffset: 8, size: 4, signed: true }],
    ['8@x30', { kind: 'reg', reg: 'x30', ptRegsOffset: 240, size: 8, signed: false }],
    ['8@sp', { kind: 'reg', reg: 'sp', ptRegsOffset: 248, size: 8, signed: false }],
  ];
  it.each(table)('%s', (text, want) => {
    expect(parseUsdtArg(text, 'arm64')).toEqual(want);
  });
  it('keeps bracketed arguments together', () => {
    expect(splitUsdtArgs('-4@[sp, 96] 8@x1')).toEqual(['-4@[sp, 96]', '8@x1']);
    expect(parseUsdtArgs('-4@[sp, 96] 8@x1', 'arm64')).toHaveLength(2);
    expect(() => parseUsdtArg('8@x31', 'arm64')).toThrow(UsdtSpecError);
  });
});

/** `readelf -n` stapsdt records. */
function readelfProbes(path: string): { provider: string; name: string; pc: bigint; base: bigint; sema: bigint; args: string }[] {
  const out = execFileSync('readelf', ['-nW', path], { maxBuffer: 64 << 20 }).toString();
  const re = /Provider: (\S+)\s+Name: (\S+)\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\s+Arguments:(.*)/g;
  return [...out.matchAll(re)].map((m) => ({
    provider: m[1]!,
    name: m[2]!,
    pc: BigInt(`0x${m[3]}`),
    base: BigInt(`0x${m[4]}`),
    sema: BigInt(`0x${m[5]}`),
    args: m[6]!.trim(),
  }));
}

function compareWithReadelf(path: string): void {
  const elf = ElfFile.open(path);
  const ref = readelfProbes(path);
  const notes = usdtNotes(elf);
  expect(notes.map((n) => ({ provider: n.provider, name: n.name, pc: n.pc, base: n.base, sema: n.semaphore, args: n.args }))).toEqual(ref);
  for (const n of notes) {
    expect(n.fileOffset).toBe(elf.vaddrToFileOffset(n.pc));
    if (n.semaphore) expect(n.semaphoreFileOffset).toBe(n.semaphore - elf.section('.probes')!.addr + BigInt(elf.section('.probes')!.offset));
  }
  const probes = usdtProbes(elf, 'x64');
  expect(probes.reduce((a, p) => a + p.sites.length, 0)).toBe(ref.length);
  for (const p of probes) {
    for (const s of p.sites) {
      expect(s.error).toBeUndefined();
      expect(s.args.map(formatUsdtArg).join(' ')).toBe(s.argSpec);
    }
  }
}

const SDT_SRC = `
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdint.h>
/* With _SDT_HAS_SEMAPHORES every probe of the unit has a semaphore (as in python3.11). */
#define SEMA(n) unsigned short test_##n##_semaphore __attribute__((unused)) __attribute__((section(".probes")));
SEMA(regs) SEMA(small) SEMA(consts) SEMA(mem) SEMA(idx) SEMA(guarded)
int counter = 5;
long table[4] = {1, 2, 3, 4};
static volatile int sink;
__attribute__((noinline)) void f(int a, long b, short c, char d, long *p, int i) {
  STAP_PROBE2(test, regs, a, b);
  STAP_PROBE3(test, small, c, d, (unsigned char)d);
  STAP_PROBE2(test, consts, 5, -9);
  STAP_PROBE2(test, mem, counter, table[i]);
  STAP_PROBE1(test, idx, p[i]);
  if (test_guarded_semaphore) STAP_PROBE1(test, guarded, a);  /* what STAP_PROBE_ENABLED guards */
  sink = a;
}
int main(int argc, char **argv) { long arr[4] = {argc, 2, 3, 4}; f(argc, argc * 3L, 7, 'x', arr, argc); return 0; }
`;

describe('USDT notes', () => {
  it('a test program (non-PIE and PIE) agrees with readelf -n', () => {
    for (const flags of [['-O2', '-no-pie'], ['-O2', '-fPIE', '-pie'], ['-O0']]) {
      const path = buildC('usdt-prog', SDT_SRC, flags);
      compareWithReadelf(path);
      const probes = usdtProbes(ElfFile.open(path), 'x64');
      expect(probes.map((p) => p.name)).toEqual(['regs', 'small', 'consts', 'mem', 'idx', 'guarded']);
      const guarded = findUsdtProbes(probes, 'test:guarded')[0]!;
      expect(guarded.sites[0]!.semaphore).toBeGreaterThan(0n);
      const consts = findUsdtProbes(probes, 'consts')[0]!.sites[0]!;
      expect(consts.args).toEqual([
        { kind: 'const', value: 5n, size: 4, signed: true },
        { kind: 'const', value: -9n, size: 4, signed: true },
      ]);
      expect(findUsdtProbes(probes, 'regs')[0]!.sites[0]!.args.map((a) => a.kind)).toEqual(flags[0] === '-O0' ? ['deref', 'deref'] : ['reg', 'reg']);
    }
  });

  it('python3.11 (semaphores) agrees with readelf -n', () => {
    compareWithReadelf('/usr/bin/python3.11');
    const probes = usdtProbes(ElfFile.open('/usr/bin/python3.11'), 'x64');
    expect(probes.map((p) => p.name)).toContain('function__entry');
    for (const p of probes) for (const s of p.sites) expect(s.semaphoreFileOffset).toBeDefined();
  });

  it('libstdc++ agrees with readelf -n', () => {
    const path = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
    compareWithReadelf(path);
    const names = usdtProbes(ElfFile.open(path), 'x64').map((p) => `${p.provider}:${p.name}`);
    expect(names).toEqual(expect.arrayContaining(['libstdcxx:throw', 'libstdcxx:rethrow', 'libstdcxx:catch']));
  });

  it('applies the prelink adjustment from .stapsdt.base', () => {
    const path = buildC('usdt-prog', SDT_SRC, ['-O2', '-no-pie']);
    const bytes = new Uint8Array(ElfFile.open(path).bytes);
    const elf = ElfFile.parse(bytes);
    const note = [...elf.notes('.note.stapsdt')][0]!;
    // Pretend a prelinker moved the base 0x1000 down after the note was written.
    const dv = new DataView(bytes.buffer, bytes.byteOffset + note.descOffset);
    const base = dv.getBigUint64(8, true);
    const pc = dv.getBigUint64(0, true);
    dv.setBigUint64(8, base - 0x1000n, true);
    dv.setBigUint64(0, pc - 0x1000n, true);
    const sema = dv.getBigUint64(16, true);
    dv.setBigUint64(16, sema - 0x1000n, true);
    const n0 = usdtNotes(ElfFile.parse(bytes))[0]!;
    expect(n0.pc).toBe(pc);
    expect(n0.rawPc).toBe(pc - 0x1000n);
    expect(n0.semaphore).toBe(sema);
    expect(n0.fileOffset).toBe(elf.vaddrToFileOffset(pc));
  });
});
