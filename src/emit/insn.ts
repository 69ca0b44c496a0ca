/**
 * The instruction model: one eBPF instruction is a readonly plain value in kernel
 * encoding, plus symbolic metadata (labels, jump targets, map references, comments)
 * that `resolve()` / `assemble()` turn into numbers. A program is an array of them.
 */
import { EmitError } from '../errors.js';
import { LD_IMM64 } from './opcode.js';

/** r0..r10; r10 is the read-only frame pointer. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export const R0 = 0,
  R1 = 1,
  R2 = 2,
  R3 = 3,
  R4 = 4,
  R5 = 5,
  R6 = 6,
  R7 = 7,
  R8 = 8,
  R9 = 9,
  R10 = 10,
  FP = 10;

/** A symbolic jump target; bound to an instruction through `Insn.label`. */
export type Label = string;

/** A map named by a program; resolved to an fd at assembly. */
export interface MapRef {
  readonly name: string;
}

/** One eBPF instruction in kernel encoding, plus metadata that is never encoded. */
export interface Insn {
  /** u8: class | op/size | source/mode (see opcode.ts). */
  readonly opcode: number;
  readonly dst: Reg;
  /** A register, or a BPF_PSEUDO_* value for ld_imm64 and call. */
  readonly src: number;
  /** s16; a placeholder while `jumpTo` is set. */
  readonly off: number;
  /** s32; for ld_imm64 the low half of `imm64`. */
  readonly imm: number;
  /** ld_imm64 only (2 slots): the full constant, as an unsigned 64-bit value. */
  readonly imm64?: bigint;
  /** Jumps to this label land on this instruction. */
  readonly label?: Label;
  /** Resolved into `off` (into `imm` for `gotol` and pseudo calls), in raw slots. */
  readonly jumpTo?: Label;
  /** ld_imm64 with src BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE; imm gets the fd. */
  readonly mapRef?: MapRef;
  /** Shown by disasm(): the source expression that produced the instruction. */
  readonly comment?: string;
}

/** Number of 8-byte slots the instruction takes. */
export function width(i: Insn): 1 | 2 {
  return i.opcode === LD_IMM64 ? 2 : 1;
}

export function isReg(x: number): x is Reg {
  return Number.isInteger(x) && x >= 0 && x <= 10;
}

export function checkReg(x: number, what = 'register'): Reg {
  if (!isReg(x)) throw new EmitError(`${what} r${x} is not one of r0..r10`);
  return x;
}

/** Accepts -2^31 .. 2^32-1 (so 0xffffffff works) and returns it as an s32. */
export function toS32(x: number, what = 'immediate'): number {
  if (!Number.isInteger(x) || x < -0x8000_0000 || x > 0xffff_ffff) {
    throw new EmitError(`${what} ${x} does not fit in 32 bits`);
  }
  return x | 0;
}

export function checkS16(x: number, what = 'offset'): number {
  if (!Number.isInteger(x) || x < -0x8000 || x > 0x7fff) {
    throw new EmitError(`${what} ${x} does not fit in a signed 16-bit field`);
  }
  return x;
}

/** Fields a constructor may set; undefined optional fields are left out of the value. */
export interface InsnInit {
  opcode: number;
  dst?: number;
  src?: number;
  off?: number;
  imm?: number;
  imm64?: bigint;
  jumpTo?: Label;
  mapRef?: MapRef;
  comment?: string | undefined;
}

/** Builds a validated, frozen instruction. */
export function makeInsn(init: InsnInit): Insn {
  if (!Number.isInteger(init.opcode) || init.opcode < 0 || init.opcode > 0xff) {
    throw new EmitError(`opcode ${init.opcode} is not a byte`);
  }
  const src = init.src ?? 0;
  if (!Number.isInteger(src) || src < 0 || src > 15) throw new EmitError(`src field ${src} is not a nibble`);
  const insn: {
    opcode: number;
    dst: Reg;
    src: number;
    off: number;
    imm: number;
    imm64?: bigint;
    jumpTo?: Label;
    mapRef?: MapRef;
    comment?: string;
  } = {
    opcode: init.opcode,
    dst: checkReg(init.dst ?? 0, 'destination register'),
    src,
    off: checkS16(init.off ?? 0),
    imm: toS32(init.imm ?? 0),
  };
  if (init.imm64 !== undefined) insn.imm64 = init.imm64;
  if (init.jumpTo !== undefined) insn.jumpTo = init.jumpTo;
  if (init.mapRef !== undefined) insn.mapRef = init.mapRef;
  if (init.comment !== undefined) insn.comment = init.comment;
  return Object.freeze(insn);
}

/** A copy of `i` with `label` bound to it. */
export function withLabel(i: Insn, label: Label): Insn {
  return Object.freeze({ ...i, label });
}

/** A copy of `i` with `comment` (replacing any earlier one). */
export function withComment(i: Insn, comment: string): Insn {
  return Object.freeze({ ...i, comment });
}
