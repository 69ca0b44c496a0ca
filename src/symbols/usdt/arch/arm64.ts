/**
 * AArch64 USDT argument syntax (as gcc prints it into `.note.stapsdt`):
 *
 *   x4  w1  sp      register                 -8@x4  -4@w1
 *   5  -3           constant (no `$`)        4@5
 *   [sp, 96]        memory at register+disp  -4@[sp, 96]  8@[x0, -8]
 *   [sp]            memory at register       -4@[sp]
 */
import type { ArchSyntax, ArgLocation, UsdtReg } from '../types.js';
import { parseInt64 } from './x64.js';

/** `struct user_pt_regs`: regs[31] (x0..x30), sp, pc, pstate. */
export const ARM64_PT_REGS: Readonly<Record<string, number>> = { sp: 248, pc: 256, pstate: 264 };

export function arm64Register(name: string): UsdtReg {
  const n = name.toLowerCase();
  const m = /^[xw](\d+)$/.exec(n);
  if (m) {
    const i = Number(m[1]);
    if (i <= 30) return { name, ptRegsOffset: i * 8 };
  }
  if (n === 'fp') return { name, ptRegsOffset: 29 * 8 };
  if (n === 'lr') return { name, ptRegsOffset: 30 * 8 };
  if (n === 'sp' || n === 'wsp') return { name, ptRegsOffset: ARM64_PT_REGS['sp']! };
  throw new Error(`unknown arm64 register '${name}'`);
}

const INT = '[-+]?(?:0[xX][0-9a-fA-F]+|\\d+)';

export const arm64Syntax: ArchSyntax = {
  arch: 'arm64',
  parseLocation(loc: string): ArgLocation {
    let m = new RegExp(`^\\[\\s*([a-z0-9]+)\\s*(?:,\\s*#?(${INT})\\s*)?\\]$`, 'i').exec(loc);
    if (m) {
      const disp = m[2] === undefined ? 0 : Number(parseInt64(m[2]));
      return { kind: 'deref', base: arm64Register(m[1]!), disp };
    }
    m = new RegExp(`^#?(${INT})$`).exec(loc);
    if (m) return { kind: 'const', value: parseInt64(m[1]!) };
    m = /^([a-z][a-z0-9]*)$/i.exec(loc);
    if (m) return { kind: 'reg', reg: arm64Register(m[1]!) };
    throw new Error('unrecognized arm64 argument location');
  },
};
