/**
 * The assembler DSL, organised by operation family, after cilium/ebpf's asm package:
 *
 *   alu64.mov.imm(R1, 0); alu64.add.reg(R2, FP); alu32.and.imm(R0, 0xff);
 *   jmp.jeq.imm(R0, 0, miss); jmp.ja(done); ldx('DW', R3, R1, 16); stx('W', FP, -4, R1);
 *   ldMapFd(R1, counts); call(Helper.MapLookupElem); atomic.add('DW', R0, 0, R1); exit();
 *
 * Every constructor returns a frozen `Insn` and takes an optional trailing comment.
 * Jump targets are labels (resolved at assembly) or, for hand-written encodings, raw
 * slot offsets.
 */
import { EmitError } from '../errors.js';
import { checkReg, checkS16, makeInsn, toS32, type Insn, type Label, type MapRef, type Reg } from './insn.js';
import * as op from './opcode.js';

// Registers and the instruction types come along, so one import serves a code generator.
export { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, FP } from './insn.js';
export type { Insn, Label, MapRef, Reg } from './insn.js';

/** Access sizes in bytes, by their ISA names. */
export const Size = { B: 1, H: 2, W: 4, DW: 8 } as const;
export type SizeName = keyof typeof Size;
/** A size by name ('DW') or by byte count (8, i.e. `Size.DW`). */
export type SizeArg = SizeName | 1 | 2 | 4 | 8;

const SIZE_BITS: Readonly<Record<number, number>> = { 1: op.BPF_B, 2: op.BPF_H, 4: op.BPF_W, 8: op.BPF_DW };

function sizeField(size: SizeArg): number {
  const bytes = typeof size === 'string' ? Size[size] : size;
  const bits = SIZE_BITS[bytes];
  if (bits === undefined) throw new EmitError(`bad access size ${String(size)}`);
  return bits;
}

function sizeBytes(size: SizeArg): number {
  return typeof size === 'string' ? Size[size] : size;
}

/** A jump target: a label, or a raw offset in slots. */
export type Target = Label | number;

function target(t: Target): { jumpTo?: Label; off?: number } {
  if (typeof t === 'number') return { off: checkS16(t, 'jump offset') };
  if (t.length === 0) throw new EmitError('empty jump label');
  return { jumpTo: t };
}

// ---------------------------------------------------------------------------
// ALU

export interface AluOp {
  imm(dst: Reg, imm: number, comment?: string): Insn;
  reg(dst: Reg, src: Reg, comment?: string): Insn;
}

export interface NegOp {
  (dst: Reg, comment?: string): Insn;
  /** Same as calling `neg(dst)`; the immediate must be 0. */
  imm(dst: Reg, imm?: number, comment?: string): Insn;
}

export interface RegOnlyOp {
  reg(dst: Reg, src: Reg, comment?: string): Insn;
}

function aluOp(cls: number, code: number, off = 0): AluOp {
  return {
    imm: (dst, imm, comment) => makeInsn({ opcode: cls | code | op.BPF_K, dst, off, imm, comment }),
    reg: (dst, src, comment) => makeInsn({ opcode: cls | code | op.BPF_X, dst, src: checkReg(src, 'source register'), off, comment }),
  };
}

function negOp(cls: number): NegOp {
  const neg = (dst: Reg, comment?: string): Insn => makeInsn({ opcode: cls | op.BPF_NEG | op.BPF_K, dst, comment });
  return Object.assign(neg, {
    imm: (dst: Reg, imm = 0, comment?: string): Insn => {
      if (imm !== 0) throw new EmitError(`neg takes no operand (got immediate ${imm})`);
      return neg(dst, comment);
    },
  });
}

function movsxOp(cls: number, bits: 8 | 16 | 32): RegOnlyOp {
  return {
    reg: (dst, src, comment) => makeInsn({ opcode: cls | op.BPF_MOV | op.BPF_X, dst, src: checkReg(src, 'source register'), off: bits, comment }),
  };
}

function endianBits(bits: number): 16 | 32 | 64 {
  if (bits !== 16 && bits !== 32 && bits !== 64) throw new EmitError(`byte swap width ${bits} is not 16, 32 or 64`);
  return bits;
}

/** `r1 = le16 r1` etc.: convert between host and little/big endian (ALU class). */
function endianInsn(which: 'le' | 'be', dst: Reg, bits: number, comment?: string): Insn {
  const src = which === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE;
  return makeInsn({ opcode: op.BPF_ALU | op.BPF_END | src, dst, imm: endianBits(bits), comment });
}

/** `r1 = bswap16 r1` etc.: unconditional byte swap (ALU64 class, cpu v4). */
function bswapInsn(dst: Reg, bits: number, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_ALU64 | op.BPF_END | op.BPF_TO_LE, dst, imm: endianBits(bits), comment });
}

function aluFamily(cls: number) {
  return {
    add: aluOp(cls, op.BPF_ADD),
    sub: aluOp(cls, op.BPF_SUB),
    mul: aluOp(cls, op.BPF_MUL),
    div: aluOp(cls, op.BPF_DIV),
    /** Signed division (cpu v4): off = 1. */
    sdiv: aluOp(cls, op.BPF_DIV, 1),
    or: aluOp(cls, op.BPF_OR),
    and: aluOp(cls, op.BPF_AND),
    lsh: aluOp(cls, op.BPF_LSH),
    rsh: aluOp(cls, op.BPF_RSH),
    neg: negOp(cls),
    mod: aluOp(cls, op.BPF_MOD),
    /** Signed modulo (cpu v4): off = 1. */
    smod: aluOp(cls, op.BPF_MOD, 1),
    xor: aluOp(cls, op.BPF_XOR),
    mov: aluOp(cls, op.BPF_MOV),
    arsh: aluOp(cls, op.BPF_ARSH),
    movsx8: movsxOp(cls, 8),
    movsx16: movsxOp(cls, 16),
  };
}

/** 64-bit ALU (`r1 += r2`). */
export const alu64 = {
  ...aluFamily(op.BPF_ALU64),
  movsx32: movsxOp(op.BPF_ALU64, 32),
  bswap: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => bswapInsn(dst, bits, comment),
};

/** 32-bit ALU (`w1 += w2`; the upper half of the destination is zeroed). */
export const alu32 = {
  ...aluFamily(op.BPF_ALU),
  le: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => endianInsn('le', dst, bits, comment),
  be: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => endianInsn('be', dst, bits, comment),
};

/** Byte order conversions. */
export const endian = {
  le: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => endianInsn('le', dst, bits, comment),
  be: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => endianInsn('be', dst, bits, comment),
  bswap: (dst: Reg, bits: 16 | 32 | 64, comment?: string): Insn => bswapInsn(dst, bits, comment),
  le16: (dst: Reg, comment?: string): Insn => endianInsn('le', dst, 16, comment),
  le32: (dst: Reg, comment?: string): Insn => endianInsn('le', dst, 32, comment),
  le64: (dst: Reg, comment?: string): Insn => endianInsn('le', dst, 64, comment),
  be16: (dst: Reg, comment?: string): Insn => endianInsn('be', dst, 16, comment),
  be32: (dst: Reg, comment?: string): Insn => endianInsn('be', dst, 32, comment),
  be64: (dst: Reg, comment?: string): Insn => endianInsn('be', dst, 64, comment),
  bswap16: (dst: Reg, comment?: string): Insn => bswapInsn(dst, 16, comment),
  bswap32: (dst: Reg, comment?: string): Insn => bswapInsn(dst, 32, comment),
  bswap64: (dst: Reg, comment?: string): Insn => bswapInsn(dst, 64, comment),
};

// ---------------------------------------------------------------------------
// Jumps

export interface CondOp {
  imm(dst: Reg, imm: number, to: Target, comment?: string): Insn;
  reg(dst: Reg, src: Reg, to: Target, comment?: string): Insn;
}

function condOp(cls: number, code: number): CondOp {
  return {
    imm: (dst, imm, to, comment) => makeInsn({ opcode: cls | code | op.BPF_K, dst, imm, ...target(to), comment }),
    reg: (dst, src, to, comment) => makeInsn({ opcode: cls | code | op.BPF_X, dst, src: checkReg(src, 'source register'), ...target(to), comment }),
  };
}

function condFamily(cls: number) {
  return {
    jeq: condOp(cls, op.BPF_JEQ),
    jgt: condOp(cls, op.BPF_JGT),
    jge: condOp(cls, op.BPF_JGE),
    jset: condOp(cls, op.BPF_JSET),
    jne: condOp(cls, op.BPF_JNE),
    jsgt: condOp(cls, op.BPF_JSGT),
    jsge: condOp(cls, op.BPF_JSGE),
    jlt: condOp(cls, op.BPF_JLT),
    jle: condOp(cls, op.BPF_JLE),
    jslt: condOp(cls, op.BPF_JSLT),
    jsle: condOp(cls, op.BPF_JSLE),
  };
}

/** 64-bit comparisons and unconditional jumps. */
export const jmp = {
  ...condFamily(op.BPF_JMP),
  /** `goto pc+N`: 16-bit distance. */
  ja: (to: Target, comment?: string): Insn => makeInsn({ opcode: op.BPF_JMP | op.BPF_JA, ...target(to), comment }),
  /** `gotol pc+N` (JMP32|JA, cpu v4): 32-bit distance, kept in imm. */
  gotol: (to: Target, comment?: string): Insn => {
    const t = typeof to === 'number' ? { imm: toS32(to, 'jump offset') } : target(to);
    return makeInsn({ opcode: op.BPF_JMP32 | op.BPF_JA, ...t, comment });
  },
  /** `may_goto pc+N` (JMP|JCOND, src BPF_MAY_GOTO): bounded-loop escape hatch. */
  mayGoto: (to: Target, comment?: string): Insn => makeInsn({ opcode: op.BPF_JMP | op.BPF_JCOND, src: op.BPF_MAY_GOTO, ...target(to), comment }),
};

/** 32-bit comparisons (`if w1 > 0x5 goto pc+2`). */
export const jmp32 = condFamily(op.BPF_JMP32);

// ---------------------------------------------------------------------------
// Memory

/** `dst = *(size *)(src + off)` */
export function ldx(size: SizeArg, dst: Reg, src: Reg, off: number, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_LDX | op.BPF_MEM | sizeField(size), dst, src: checkReg(src, 'source register'), off, comment });
}

/** `dst = *(s8/s16/s32 *)(src + off)`: sign-extending load (cpu v4). */
export function ldxsx(size: SizeArg, dst: Reg, src: Reg, off: number, comment?: string): Insn {
  if (sizeBytes(size) === 8) throw new EmitError('sign-extending loads are B, H or W');
  return makeInsn({ opcode: op.BPF_LDX | op.BPF_MEMSX | sizeField(size), dst, src: checkReg(src, 'source register'), off, comment });
}

/** `*(size *)(dst + off) = src` */
export function stx(size: SizeArg, dst: Reg, off: number, src: Reg, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_STX | op.BPF_MEM | sizeField(size), dst, src: checkReg(src, 'source register'), off, comment });
}

/** `*(size *)(dst + off) = imm` */
export function st(size: SizeArg, dst: Reg, off: number, imm: number, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_ST | op.BPF_MEM | sizeField(size), dst, off, imm, comment });
}

const U64_MASK = (1n << 64n) - 1n;

function ldImm64Insn(dst: Reg, src: number, value: bigint, extra: { mapRef?: MapRef; comment?: string | undefined }): Insn {
  if (value < -(1n << 63n) || value > U64_MASK) throw new EmitError(`constant ${value} does not fit in 64 bits`);
  const imm64 = BigInt.asUintN(64, value);
  return makeInsn({
    opcode: op.LD_IMM64,
    dst,
    src,
    imm: Number(BigInt.asIntN(32, imm64)),
    imm64,
    ...extra,
  });
}

/** `dst = 0x...`: a 64-bit constant (two slots). Stored as its unsigned 64-bit value. */
export function ldImm64(dst: Reg, value: bigint, comment?: string): Insn {
  return ldImm64Insn(dst, 0, value, { comment });
}

/** `dst = map[...]`: the map's address (src BPF_PSEUDO_MAP_FD; imm gets the fd at assembly). */
export function ldMapFd(dst: Reg, map: MapRef, comment?: string): Insn {
  return ldImm64Insn(dst, op.BPF_PSEUDO_MAP_FD, 0n, { mapRef: map, comment });
}

/** `dst = &value[0] + offset` of an array map (src BPF_PSEUDO_MAP_VALUE). */
export function ldMapValue(dst: Reg, map: MapRef, offset = 0, comment?: string): Insn {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffff_ffff) {
    throw new EmitError(`map value offset ${offset} is not a u32`);
  }
  return ldImm64Insn(dst, op.BPF_PSEUDO_MAP_VALUE, BigInt(offset) << 32n, { mapRef: map, comment });
}

// ---------------------------------------------------------------------------
// Calls

/** `call bpf_xxx#N`: a helper by id (see helpers.gen.ts). */
export function call(helper: number, comment?: string): Insn {
  if (!Number.isInteger(helper) || helper < 0) throw new EmitError(`bad helper id ${helper}`);
  return makeInsn({ opcode: op.BPF_JMP | op.BPF_CALL, imm: helper, comment });
}

/** `call pc+N`: a BPF-to-BPF call of a subprogram at a label (imm resolved at assembly). */
export function callLocal(to: Target, comment?: string): Insn {
  const t = typeof to === 'number' ? { imm: toS32(to, 'call offset') } : target(to);
  return makeInsn({ opcode: op.BPF_JMP | op.BPF_CALL, src: op.BPF_PSEUDO_CALL, ...t, comment });
}

/** A kfunc call by BTF id (`off` is the fd-array index of a module BTF, 0 for vmlinux). */
export function callKfunc(btfId: number, btfFdIndex = 0, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_JMP | op.BPF_CALL, src: op.BPF_PSEUDO_KFUNC_CALL, off: btfFdIndex, imm: btfId, comment });
}

/** `exit`: return r0. */
export function exit(comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_JMP | op.BPF_EXIT, comment });
}

// ---------------------------------------------------------------------------
// Atomics

export type AtomicSize = 'W' | 'DW' | 4 | 8;
export type AtomicRmw = (size: AtomicSize, dst: Reg, off: number, src: Reg, comment?: string) => Insn;

function atomicInsn(size: SizeArg, dst: Reg, off: number, src: Reg, imm: number, comment?: string): Insn {
  return makeInsn({ opcode: op.BPF_STX | op.BPF_ATOMIC | sizeField(size), dst, src: checkReg(src, 'source register'), off, imm, comment });
}

function rmw(imm: number): AtomicRmw {
  return (size, dst, off, src, comment) => {
    const b = sizeBytes(size);
    if (b !== 4 && b !== 8) throw new EmitError(`atomic operations are W or DW, not ${String(size)}`);
    return atomicInsn(size, dst, off, src, imm, comment);
  };
}

/** Atomic memory operations (STX|ATOMIC; the operation is in imm). */
export const atomic = {
  /** `lock *(u64 *)(dst +off) += src` */
  add: rmw(op.BPF_ADD),
  or: rmw(op.BPF_OR),
  and: rmw(op.BPF_AND),
  xor: rmw(op.BPF_XOR),
  /** `src = atomic64_fetch_add((u64 *)(dst +off), src)` */
  fetchAdd: rmw(op.BPF_ADD | op.BPF_FETCH),
  fetchOr: rmw(op.BPF_OR | op.BPF_FETCH),
  fetchAnd: rmw(op.BPF_AND | op.BPF_FETCH),
  fetchXor: rmw(op.BPF_XOR | op.BPF_FETCH),
  /** `src = atomic64_xchg((u64 *)(dst +off), src)` */
  xchg: rmw(op.BPF_XCHG),
  /** `r0 = atomic64_cmpxchg((u64 *)(dst +off), r0, src)`: r0 is the expected value. */
  cmpxchg: rmw(op.BPF_CMPXCHG),
  /** `dst = load_acquire((size *)(src +off))` (kernel 6.15+). */
  loadAcquire: (size: SizeArg, dst: Reg, src: Reg, off: number, comment?: string): Insn =>
    makeInsn({ opcode: op.BPF_STX | op.BPF_ATOMIC | sizeField(size), dst, src: checkReg(src, 'source register'), off, imm: op.BPF_LOAD_ACQ, comment }),
  /** `store_release((size *)(dst +off), src)` (kernel 6.15+). */
  storeRelease: (size: SizeArg, dst: Reg, off: number, src: Reg, comment?: string): Insn => atomicInsn(size, dst, off, src, op.BPF_STORE_REL, comment),
};
