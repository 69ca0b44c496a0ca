/**
 * AArch64 USDT argument syntax (as gcc prints it into `.note.stapsdt`):
 *
 *   x4  w1  sp      register                 -8@x4  -4@w1
 *   5  -3           constant (no `$`)        4@5
 *   [sp, 96]        memory at register+disp  -4@[sp, 96]  8@[x0, -8]
 *   [sp]            memory at register       -4@[sp]
 */
import { PT_REGS_SLOTS } from '../../arch.js';
import type { ArchSyntax, ArgLocation, UsdtReg } from '../types.js';
import { parseInt64 } from './x64.js';

/** `struct pt_regs` slots: regs[31] (x0..x30), sp, pc, pstate, … (`symbols/arch.ts`). */
const SLOTS = PT_REGS_SLOTS.arm64;

export function arm64Register(name: string): UsdtReg {
  const n = name.toLowerCase();
  const m = /^[xw](\d+)$/.exec(n);
  if (m && Number(m[1]) <= 30) return { name, ptRegsOffset: SLOTS[`x${Number(m[1])}`]! };
  if (n === 'fp') return { name, ptRegsOffset: SLOTS['x29']! };
  if (n === 'lr') return { name, ptRegsOffset: SLOTS['x30']! };
  if (n === 'sp' || n === 'wsp') return { name, ptRegsOffset: SLOTS['sp']! };
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
