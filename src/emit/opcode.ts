/**
 * The eBPF opcode byte and the constants that fill it (include/uapi/linux/bpf.h,
 * bpf_common.h and Documentation/bpf/standardization/instruction-set.rst).
 *
 * Every instruction is one 8-byte slot, little-endian:
 *
 *   byte 0      byte 1            bytes 2-3     bytes 4-7
 *   +--------+--------+--------+-------------+-----------------+
 *   | opcode | src:4  | dst:4  |  off (s16)  |    imm (s32)    |
 *   +--------+--------+--------+-------------+-----------------+
 *              (high)   (low nibble)
 *
 * `ld_imm64` (opcode 0x18) takes two slots: the second has opcode, registers and
 * offset zero and carries the upper 32 bits of the constant in its imm.
 *
 * The low three bits of the opcode are the class; the other five depend on it:
 *
 *   ALU / ALU64 (0x04 / 0x07), and JMP / JMP32 (0x05 / 0x06):
 *     7      4   3    2    0
 *    +--------+-----+------+
 *    |   op   | src |class |   src: 0 = K (use imm), 1 = X (use src register)
 *    +--------+-----+------+   for op END the bit picks le (0) or be (1) in ALU,
 *                              and must be 0 (bswap) in ALU64.
 *     ALU extensions live in `off`: sdiv/smod have off = 1; movsx has off = 8/16/32.
 *     JMP32|JA ("gotol") takes its distance from imm instead of off.
 *
 *   LD / LDX / ST / STX (0x00 / 0x01 / 0x02 / 0x03):
 *     7     5 4   3 2    0
 *    +-------+-----+------+
 *    | mode  |size |class |   size: W=0x00 H=0x08 B=0x10 DW=0x18
 *    +-------+-----+------+   mode: IMM=0x00 ABS=0x20 IND=0x40 MEM=0x60 MEMSX=0x80 ATOMIC=0xc0
 *     STX|ATOMIC keeps the atomic operation in imm: ADD/OR/AND/XOR, each optionally
 *     | FETCH, plus XCHG, CMPXCHG, LOAD_ACQ and STORE_REL.
 */

// Classes (low 3 bits).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Sizes (bits 3-4) of load/store classes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Modes (bits 5-7) of load/store classes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;
/** Kernel-internal speculation barrier (ST class); only seen in xlated dumps. */
export const BPF_NOSPEC = 0xc0;

// Source bit (bit 3) of ALU and JMP classes.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operations (bits 4-7).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (bits 4-7).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
export const BPF_JCOND = 0xe0;

// Atomic operations (imm of STX|ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// src_reg of ld_imm64.
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// src_reg of call.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

// src_reg of JMP|JCOND.
export const BPF_MAY_GOTO = 0;

// off of ALU64|MOV|X for the arena cast.
export const BPF_ADDR_SPACE_CAST = 1;

/** ld_imm64: the only opcode that occupies two slots. */
export const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

export const opClass = (opcode: number): number => opcode & 0x07;
export const opSize = (opcode: number): number => opcode & 0x18;
export const opMode = (opcode: number): number => opcode & 0xe0;
export const opOp = (opcode: number): number => opcode & 0xf0;
export const opSrc = (opcode: number): number => opcode & 0x08;
