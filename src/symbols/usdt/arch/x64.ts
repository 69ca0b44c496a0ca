/**
 * x86-64 USDT argument syntax (AT&T operands as gcc prints them into `.note.stapsdt`):
 *
 *   %edi            register (any width alias)            -4@%edi  -2@%cx  -1@%sil  8@%r10
 *   $5  $-9         constant                               -4@$5    -4@$-9
 *   -24(%rbp)       memory at register + disp              8@-24(%rbp)  8@(%rsp)
 *   sym(%rip)       rip-relative global (symbolic disp)    -4@counter(%rip)  8@sym+8(%rip)
 *   -96(%rbp,%rax,8)  scale-index-base                     1@-96(%rbp,%rax,8)  8@(%rax,%rdx,8)
 */
import { PT_REGS_SLOTS } from '../../arch.js';
import type { ArchSyntax, ArgLocation, UsdtReg } from '../types.js';

/** `struct pt_regs` byte offsets (arch/x86/include/asm/ptrace.h, x86-64), from `symbols/arch.ts`. */
export const X64_PT_REGS: Readonly<Record<string, number>> = PT_REGS_SLOTS.x64;

/** Every alias of a 64-bit register: [64-bit, 32-bit, 16-bit, low 8-bit]. */
const ALIASES: readonly (readonly string[])[] = [
  ['rax', 'eax', 'ax', 'al'],
  ['rbx', 'ebx', 'bx', 'bl'],
  ['rcx', 'ecx', 'cx', 'cl'],
  ['rdx', 'edx', 'dx', 'dl'],
  ['rsi', 'esi', 'si', 'sil'],
  ['rdi', 'edi', 'di', 'dil'],
  ['rbp', 'ebp', 'bp', 'bpl'],
  ['rsp', 'esp', 'sp', 'spl'],
  ['rip', 'eip', 'ip'],
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((n) => [`r${n}`, `r${n}d`, `r${n}w`, `r${n}b`]),
];
/** High-byte registers: bits 8..15 of the slot, one byte in on a little-endian machine. */
const HIGH_BYTE: Readonly<Record<string, string>> = { ah: 'rax', bh: 'rbx', ch: 'rcx', dh: 'rdx' };

const REG_TABLE: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const names of ALIASES) for (const n of names) m.set(n, X64_PT_REGS[names[0]!]!);
  for (const [n, full] of Object.entries(HIGH_BYTE)) m.set(n, X64_PT_REGS[full]! + 1);
  return m;
})();

export function x64Register(name: string): UsdtReg {
  const off = REG_TABLE.get(name.toLowerCase());
  if (off === undefined) throw new Error(`unknown x86-64 register '%${name}'`);
  return { name, ptRegsOffset: off };
}

const INT = '[-+]?(?:0[xX][0-9a-fA-F]+|\\d+)';
const SYM = '[A-Za-z_.][\\w.$@]*';
const REG = '%([a-z0-9_]+)';
const RE_REG = new RegExp(`^${REG}$`, 'i');
const RE_CONST = new RegExp(`^\\$(${INT})$`);
// disp: an integer, a symbol, or symbol±integer; may be empty.
const RE_MEM = new RegExp(`^(?:(${SYM})?(${INT})?)\\(\\s*${REG}\\s*(?:,\\s*${REG}\\s*(?:,\\s*(\\d+)\\s*)?)?\\)$`, 'i');

export function parseInt64(text: string): bigint {
  const neg = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  const v = BigInt(body);
  return neg ? -v : v;
}

export const x64Syntax: ArchSyntax = {
  arch: 'x64',
  parseLocation(loc: string): ArgLocation {
    let m = RE_REG.exec(loc);
    if (m) return { kind: 'reg', reg: x64Register(m[1]!) };
    m = RE_CONST.exec(loc);
    if (m) return { kind: 'const', value: parseInt64(m[1]!) };
    m = RE_MEM.exec(loc);
    if (m) {
      const symbol = m[1];
      const dispBig = m[2] ? parseInt64(m[2]) : 0n;
      if (dispBig > BigInt(Number.MAX_SAFE_INTEGER) || dispBig < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('displacement out of range');
      const disp = Number(dispBig);
      const base = x64Register(m[3]!);
      if (m[4] !== undefined) {
        const scale = m[5] === undefined ? 1 : Number(m[5]);
        if (scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8) throw new Error(`invalid SIB scale ${scale}, expected 1, 2, 4 or 8`);
        if (symbol) throw new Error('symbolic displacement with an index register is not supported');
        return { kind: 'sib', base, index: x64Register(m[4]), scale, disp };
      }
      if (symbol) {
        if (base.name.toLowerCase() !== 'rip' && base.name.toLowerCase() !== 'eip')
          throw new Error(`symbolic displacement '${symbol}' is only supported with %rip`);
        return { kind: 'deref', base, disp, symbol };
      }
      return { kind: 'deref', base, disp };
    }
    if (/^%[a-z]s:/i.test(loc)) throw new Error('segment-relative operands are not supported');
    throw new Error('unrecognized x86-64 argument location');
  },
};
