/**
 * USDT notes of a real arm64 binary (fixtures/usdt-arm64/probes, built by its gen.sh with
 * Debian's aarch64 cross gcc): the operands gcc writes on arm64, read on any host in the
 * file's own architecture (its e_machine), and the locations the checker gives them.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { argLocation } from '../../../src/compile/context.js';
import { ElfFile } from '../../../src/symbols/elf.js';
import { PT_REGS_SLOTS } from '../../../src/symbols/arch.js';
import { formatUsdtArg } from '../../../src/symbols/usdt/args.js';
import { usdtProbes } from '../../../src/symbols/usdt/probes.js';

const elf = ElfFile.open(fileURLToPath(new URL('../../../fixtures/usdt-arm64/probes', import.meta.url)));
const R = PT_REGS_SLOTS.arm64;
const probe = (name: string) => usdtProbes(elf).find((p) => p.name === name)!;

describe('USDT on arm64 (a cross-compiled binary)', () => {
  it('is an aarch64 ELF with three probes, each with a semaphore', () => {
    expect(elf.header.machine).toBe(183);
    const probes = usdtProbes(elf);
    expect(probes.map((p) => `${p.provider}:${p.name}`)).toEqual(['demo:regs', 'demo:mem', 'demo:consts']);
    for (const p of probes) {
      expect(p.sites).toHaveLength(1);
      expect(p.sites[0]!.error).toBeUndefined();
      expect(p.sites[0]!.semaphore).toBeGreaterThan(0n);
    }
  });

  it('registers of every width: x0, w1 (-4@x1), a byte, a half', () => {
    const s = probe('regs').sites[0]!;
    expect(s.argSpec).toBe('-8@x0 -4@x1 1@x2 -2@x3');
    expect(s.args).toEqual([
      { kind: 'reg', reg: 'x0', ptRegsOffset: R.x0, size: 8, signed: true },
      { kind: 'reg', reg: 'x1', ptRegsOffset: R.x1, size: 4, signed: true },
      { kind: 'reg', reg: 'x2', ptRegsOffset: R.x2, size: 1, signed: false },
      { kind: 'reg', reg: 'x3', ptRegsOffset: R.x3, size: 2, signed: true },
    ]);
  });

  it('memory operands: [x0], [x0, 8], [sp, 12] (user memory, read from the saved register)', () => {
    const s = probe('mem').sites[0]!;
    expect(s.argSpec).toBe('-8@[x0] -4@[x0, 8] -4@[sp, 12]');
    expect(s.args.map((a) => (a.kind === 'deref' ? [a.base.name, a.base.ptRegsOffset, a.disp, a.size] : a.kind))).toEqual([
      ['x0', R.x0, 0, 8],
      ['x0', R.x0, 8, 4],
      ['sp', R.sp, 12, 4],
    ]);
    const ctx = { site: { kind: 'usdt' as const, args: s.args }, userMemory: true, arch: 'arm64' as const };
    expect(argLocation(ctx, 3)).toEqual({ kind: 'deref', baseOffset: 248, disp: 12, size: 4, signed: true, space: 'user' });
  });

  it('constants, signed and unsigned, as gcc writes them on arm64 (no $)', () => {
    const s = probe('consts').sites[0]!;
    expect(s.argSpec).toBe('-4@42 -4@-7 -4@4096');
    expect(s.args.map((a) => (a.kind === 'const' ? a.value : a.kind))).toEqual([42n, -7n, 4096n]);
    expect(s.args.map(formatUsdtArg)).toHaveLength(3);
  });
});

/**
 * Debian bookworm's python3.11 for arm64 (the notes of /usr/bin/python3.11 from
 * python3.11-minimal 3.11.2-6+deb12u9, cut down to its note sections by
 * fixtures/usdt-arm64/cut.mjs): what a distribution's gcc wrote, with semaphores.
 */
describe('USDT on arm64: Debian python3.11', () => {
  const py = ElfFile.open(fileURLToPath(new URL('../../../fixtures/usdt-arm64/python3.11', import.meta.url)));
  const probes = usdtProbes(py);

  it('has its eight probes, every operand parsed, each with a semaphore in .probes', () => {
    expect(probes.map((p) => p.name)).toEqual([
      'audit',
      'gc__done',
      'gc__start',
      'line',
      'import__find__load__start',
      'import__find__load__done',
      'function__entry',
      'function__return',
    ]);
    for (const p of probes) {
      expect(p.provider).toBe('python');
      for (const s of p.sites) {
        expect(s.error, `${p.name} ${s.argSpec}`).toBeUndefined();
        // A non-PIE binary: its text is mapped at 0x400000 from file offset 0. The semaphores
        // are the 24 bytes of .probes at 0xa5eb28 (cut.mjs moved the section's bytes, so their
        // file offsets are the cut file's, not python's).
        expect(s.fileOffset).toBe(s.pc - 0x400000n);
        expect(s.semaphore! >= 0xa5eb28n && s.semaphore! < 0xa5eb28n + 24n).toBe(true);
        expect(s.semaphoreFileOffset).toBeDefined();
      }
    }
  });

  it('reads function__entry (x20, x21, w0) and gc__start ([sp, 152])', () => {
    const entry = probes.find((p) => p.name === 'function__entry')!.sites[0]!;
    expect(entry.argSpec).toBe('8@x20 8@x21 -4@x0');
    expect(entry.args.map((a) => (a.kind === 'reg' ? [a.ptRegsOffset, a.size, a.signed] : a.kind))).toEqual([
      [R.x20, 8, false],
      [R.x21, 8, false],
      [R.x0, 4, true],
    ]);
    const gc = probes.find((p) => p.name === 'gc__start')!.sites[0]!;
    expect(gc.args).toEqual([{ kind: 'deref', base: { name: 'sp', ptRegsOffset: R.sp }, disp: 152, size: 4, signed: true }]);
  });
});
