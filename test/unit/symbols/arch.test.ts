/**
 * The architecture tables (src/symbols/arch.ts) against the BTF of real kernels: every
 * `struct pt_regs` slot polytrace reads on x86-64 (the development host's 6.18) and on arm64
 * (Debian's 6.1.0-57-arm64, from the arm64 VM), cut down by fixtures/btf/arch/trim.mjs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BtfSpec } from '../../../src/btf/spec.js';
import { ARCHES, elfArch, hostArch, PT_REGS, PT_REGS_SLOTS, regName, type Arch } from '../../../src/symbols/arch.js';

const spec = (arch: Arch): BtfSpec => BtfSpec.parse(new Uint8Array(readFileSync(new URL(`../../../fixtures/btf/arch/${arch}-pt_regs.btf`, import.meta.url))));

/** Where a register's slot is in the kernel's struct pt_regs: byte offset and size. */
function btfSlot(s: BtfSpec, arch: Arch, name: string): { offset: number; size: number } {
  const root = s.idsByName('pt_regs', 'struct')[0]!;
  if (arch === 'arm64' && /^x\d+$/.test(name)) {
    const regs = s.memberPath(root, ['regs']);
    return { offset: regs.bitOffset / 8 + 8 * Number(name.slice(1)), size: 8 };
  }
  // x86-64's pt_regs names registers without their `r`/`e` (di, ax, flags, orig_ax).
  const member =
    arch === 'x64' && !/^r\d+$/.test(name)
      ? name
          .replace(/^[re](?=[a-z]{2}$)/, '')
          .replace(/^orig_rax$/, 'orig_ax')
          .replace(/^eflags$/, 'flags')
      : name;
  const m = s.memberPath(root, [member]);
  expect(m.bitOffset % 8, `${arch} ${name}`).toBe(0);
  return { offset: m.bitOffset / 8, size: s.sizeof(m.type) };
}

describe.each(ARCHES)('struct pt_regs on %s', (arch) => {
  const s = spec(arch);

  it('every named slot is where the kernel puts it', () => {
    const names = Object.keys(PT_REGS_SLOTS[arch]);
    expect(names.length).toBe(arch === 'x64' ? 21 : 36);
    for (const name of names) expect(btfSlot(s, arch, name).offset, `${arch} ${name}`).toBe(PT_REGS_SLOTS[arch][name]);
  });

  it('the calling convention: arguments, return value, sp, ip, the syscall number', () => {
    const l = PT_REGS[arch];
    const args = arch === 'x64' ? ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'] : ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7'];
    expect(l.args).toEqual(args.map((r) => btfSlot(s, arch, r).offset));
    expect(l.ret).toBe(btfSlot(s, arch, arch === 'x64' ? 'rax' : 'x0').offset);
    expect(l.sp).toBe(btfSlot(s, arch, arch === 'x64' ? 'rsp' : 'sp').offset);
    expect(l.ip).toBe(btfSlot(s, arch, arch === 'x64' ? 'rip' : 'pc').offset);
    expect(l.syscallNr).toEqual(btfSlot(s, arch, arch === 'x64' ? 'orig_rax' : 'syscallno'));
  });

  it('names the register of a slot for --dump', () => {
    expect(regName(arch, PT_REGS[arch].args[0]!)).toBe(arch === 'x64' ? 'rdi' : 'x0');
    expect(regName(arch, PT_REGS[arch].sp)).toBe(arch === 'x64' ? 'rsp' : 'sp');
    expect(regName(arch, 3)).toBeUndefined();
  });
});

describe('which architecture', () => {
  it('from Node and from an ELF header', () => {
    expect(hostArch('arm64')).toBe('arm64');
    expect(hostArch('x64')).toBe('x64');
    expect(elfArch(62)).toBe('x64');
    expect(elfArch(183)).toBe('arm64');
    expect(elfArch(40)).toBeUndefined();
  });
});
