/**
 * USDT argument locations (libbpf `usdt_arg_spec`, as a closed union).
 *
 * Every register is named twice: as written in the note (`edi`, `cl`, `x3`) and as the byte
 * offset of its slot in the architecture's `struct pt_regs` (what a BPF program reads from its
 * context). A narrower alias (`%edi`, `%cl`) reads the low `size` bytes of the slot; on these
 * little-endian machines that is the slot's first bytes. The x86 high-byte registers
 * (`%ah`, `%bh`, `%ch`, `%dh`) point one byte into their slot.
 */
import { FormatError } from '../../errors.js';
import type { Arch } from '../arch.js';

export type UsdtArch = Arch;
export type ArgSize = 1 | 2 | 4 | 8;

export interface UsdtReg {
  /** As written, without `%`: `rbp`, `edi`, `x29`, `sp`. */
  readonly name: string;
  /** Byte offset of the register's slot in `struct pt_regs` (x86-64) / `user_pt_regs` (arm64). */
  readonly ptRegsOffset: number;
}

/** `-4@%edi`, `-8@x4`: the value of a register. */
export interface UsdtRegArg {
  readonly kind: 'reg';
  readonly reg: string;
  readonly ptRegsOffset: number;
  readonly size: ArgSize;
  readonly signed: boolean;
}
/** `-4@$5`, `4@5` (arm64): a constant. */
export interface UsdtConstArg {
  readonly kind: 'const';
  readonly value: bigint;
  readonly size: ArgSize;
  readonly signed: boolean;
}
/**
 * `8@-24(%rbp)`, `-4@[sp, 96]`: memory at register + disp (a user-space read).
 * With `symbol` (x86 `%rip`-relative: `-4@counter(%rip)`), the address is the symbol's link-time
 * vaddr + disp + the module's load bias: `%rip` at the probe is not the assembler's "next
 * instruction", so the register value must not be used.
 */
export interface UsdtDerefArg {
  readonly kind: 'deref';
  readonly base: UsdtReg;
  readonly disp: number;
  readonly symbol?: string;
  readonly size: ArgSize;
  readonly signed: boolean;
}
/** `1@-96(%rbp,%rax,8)`: memory at base + index * scale + disp. */
export interface UsdtSibArg {
  readonly kind: 'sib';
  readonly base: UsdtReg;
  readonly index: UsdtReg;
  readonly scale: 1 | 2 | 4 | 8;
  readonly disp: number;
  readonly size: ArgSize;
  readonly signed: boolean;
}

export type UsdtArg = UsdtRegArg | UsdtConstArg | UsdtDerefArg | UsdtSibArg;

/** An argument spec that does not parse; says which probe and which argument (0-based). */
export class UsdtSpecError extends FormatError {
  constructor(
    message: string,
    readonly text: string,
    readonly argIndex: number,
    readonly note?: string,
  ) {
    super(`${note ? `USDT probe ${note}: ` : ''}argument #${argIndex + 1} '${text}': ${message}`);
  }
}

/** The location part of one argument, before size/sign policy is applied. */
export type ArgLocation =
  | { readonly kind: 'reg'; readonly reg: UsdtReg }
  | { readonly kind: 'const'; readonly value: bigint }
  | { readonly kind: 'deref'; readonly base: UsdtReg; readonly disp: number; readonly symbol?: string }
  | { readonly kind: 'sib'; readonly base: UsdtReg; readonly index: UsdtReg; readonly scale: 1 | 2 | 4 | 8; readonly disp: number };

/** An architecture's syntax: one location string (`-24(%rbp)`) → location; throws a message. */
export interface ArchSyntax {
  readonly arch: UsdtArch;
  parseLocation(loc: string): ArgLocation;
}
