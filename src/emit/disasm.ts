/**
 * Disassembly in the text of `bpftool prog dump xlated`: the kernel's print_bpf_insn
 * (kernel/bpf/disasm.c) behind bpftool's "% 4d: " slot prefix and its map printer.
 *
 * Differences from a dump of a loaded program, all on the kernel's side: the verifier
 * rewrites helper calls (bpftool then prints the kernel symbol and an address offset
 * after '#'), inlines some map lookups, and replaces map fds by map ids. Here helper
 * calls print as the verifier log does (`call bpf_map_lookup_elem#1`) and maps by name.
 */
import { HELPER_NAMES } from './helpers.gen.js';
import { width, type Insn } from './insn.js';
import { jumpsViaImm, labelSlots, slotIndex } from './assemble.js';
import * as op from './opcode.js';

export interface DisasmOptions {
  /** Print `map[id:NAME]` for instructions with a map reference (default true);
   *  otherwise `map[id:N]` with N taken from imm, as bpftool does. */
  readonly mapNames?: boolean;
}

// Tables indexed like disasm.c's; holes print as glibc prints a NULL %s.
const NULL = '(null)';
const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const ALU_SIGN_STR: Readonly<Record<number, string>> = { [op.BPF_DIV >> 4]: 's/=', [op.BPF_MOD >> 4]: 's%=' };
const MOVSX_STR: Readonly<Record<number, string>> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
const ATOMIC_ALU_STR: Readonly<Record<number, string>> = {
  [op.BPF_ADD >> 4]: 'add',
  [op.BPF_AND >> 4]: 'and',
  [op.BPF_OR >> 4]: 'or',
  [op.BPF_XOR >> 4]: 'xor',
};
const LDST_STR = ['u32', 'u16', 'u8', 'u64'];
const LDSX_STR = ['s32', 's16', 's8'];
const JMP_STR = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
const str = (table: readonly string[] | Readonly<Record<number, string>>, k: number): string => (table as Record<number, string | undefined>)[k] ?? NULL;

/** A jump operand: `pc+N`, or `<label>` when the label could not be resolved. */
interface Shown {
  readonly insn: Insn;
  readonly unresolved?: string;
}

function aluText(i: Insn): string {
  const cls = op.opClass(i.opcode);
  const code = op.opOp(i.opcode);
  const r = cls === op.BPF_ALU ? 'w' : 'r';
  if (code === op.BPF_END) {
    if (cls === op.BPF_ALU64) return `r${i.dst} = bswap${i.imm} r${i.dst}`;
    return `r${i.dst} = ${op.opSrc(i.opcode) === op.BPF_TO_BE ? 'be' : 'le'}${i.imm} r${i.dst}`;
  }
  if (code === op.BPF_NEG) return `${r}${i.dst} = -${r}${i.dst}`;
  if (i.opcode === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_X) && i.off === op.BPF_ADDR_SPACE_CAST) {
    return `r${i.dst} = addr_space_cast(r${i.src}, ${i.imm >>> 16}, ${i.imm & 0xffff})`;
  }
  const sdiv = (code === op.BPF_DIV || code === op.BPF_MOD) && i.off === 1;
  const opText = sdiv ? str(ALU_SIGN_STR, code >> 4) : str(ALU_STR, code >> 4);
  if (op.opSrc(i.opcode) === op.BPF_X) {
    const movsx = code === op.BPF_MOV && (i.off === 8 || i.off === 16 || i.off === 32) ? MOVSX_STR[i.off]! : '';
    return `${r}${i.dst} ${opText} ${movsx}${r}${i.src}`;
  }
  return `${r}${i.dst} ${opText} ${i.imm}`;
}

/** Returns the whole line body; `BUG_*` lines have no "(xx) " prefix, as in the kernel. */
function stxText(i: Insn): string {
  const size = str(LDST_STR, op.opSize(i.opcode) >> 3);
  const mem = `(${size} *)(r${i.dst} ${signed(i.off)})`;
  const mode = op.opMode(i.opcode);
  const pre = `(${hex2(i.opcode)}) `;
  if (mode === op.BPF_MEM) return `${pre}*${mem} = r${i.src}`;
  if (mode === op.BPF_ATOMIC) {
    const w = op.opSize(i.opcode) === op.BPF_DW ? '64' : '';
    switch (i.imm) {
      case op.BPF_ADD:
      case op.BPF_AND:
      case op.BPF_OR:
      case op.BPF_XOR:
        return `${pre}lock *${mem} ${str(ALU_STR, i.imm >> 4)} r${i.src}`;
      case op.BPF_ADD | op.BPF_FETCH:
      case op.BPF_AND | op.BPF_FETCH:
      case op.BPF_OR | op.BPF_FETCH:
      case op.BPF_XOR | op.BPF_FETCH:
        return `${pre}r${i.src} = atomic${w}_fetch_${str(ATOMIC_ALU_STR, (i.imm & 0xf0) >> 4)}(${mem}, r${i.src})`;
      case op.BPF_CMPXCHG:
        return `${pre}r0 = atomic${w}_cmpxchg(${mem}, r0, r${i.src})`;
      case op.BPF_XCHG:
        return `${pre}r${i.src} = atomic${w}_xchg(${mem}, r${i.src})`;
      case op.BPF_LOAD_ACQ:
        return `${pre}r${i.dst} = load_acquire((${size} *)(r${i.src} ${signed(i.off)}))`;
      case op.BPF_STORE_REL:
        return `${pre}store_release(${mem}, r${i.src})`;
    }
  }
  return `BUG_${hex2(i.opcode)}`;
}

function ldImm64Text(i: Insn, opts: DisasmOptions): string {
  const full = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm >>> 0));
  const named = (opts.mapNames ?? true) && i.mapRef !== undefined;
  const id = named ? i.mapRef!.name : String(i.imm >>> 0);
  switch (i.src) {
    case op.BPF_PSEUDO_MAP_FD:
      return `map[id:${id}]`;
    case op.BPF_PSEUDO_MAP_VALUE:
      return `map[id:${id}][0]+${Number(full >> 32n)}`;
    case op.BPF_PSEUDO_FUNC:
      return `subprog[${signed(i.imm)}]`;
    default:
      return `0x${full.toString(16)}`;
  }
}

function jmpText(s: Shown): string {
  const i = s.insn;
  const cls = op.opClass(i.opcode);
  const code = op.opOp(i.opcode);
  const pc = (n: number): string => s.unresolved ?? `pc${signed(n)}`;
  if (code === op.BPF_CALL) {
    if (i.src === op.BPF_PSEUDO_CALL) return `call ${pc(i.imm)}`;
    let name = 'unknown';
    if (i.src === 0 && i.imm >= 0 && i.imm < HELPER_NAMES.length) name = HELPER_NAMES[i.imm]!;
    else if (i.src === op.BPF_PSEUDO_KFUNC_CALL) name = 'kernel-function';
    return `call ${name}#${i.imm}`;
  }
  if (i.opcode === (op.BPF_JMP | op.BPF_JA)) return `goto ${pc(i.off)}`;
  if (i.opcode === (op.BPF_JMP | op.BPF_JCOND) && i.src === op.BPF_MAY_GOTO) return `may_goto ${pc(i.off)}`;
  if (i.opcode === (op.BPF_JMP32 | op.BPF_JA)) return `gotol ${pc(i.imm)}`;
  if (i.opcode === (op.BPF_JMP | op.BPF_EXIT)) return 'exit';
  const r = cls === op.BPF_JMP32 ? 'w' : 'r';
  const cmp = str(JMP_STR, code >> 4);
  if (op.opSrc(i.opcode) === op.BPF_X) return `if ${r}${i.dst} ${cmp} ${r}${i.src} goto ${pc(i.off)}`;
  return `if ${r}${i.dst} ${cmp} 0x${(i.imm >>> 0).toString(16)} goto ${pc(i.off)}`;
}

function lineOf(s: Shown, opts: DisasmOptions): string {
  const i = s.insn;
  const pre = `(${hex2(i.opcode)}) `;
  const cls = op.opClass(i.opcode);
  switch (cls) {
    case op.BPF_ALU:
    case op.BPF_ALU64:
      return pre + aluText(i);
    case op.BPF_STX:
      return stxText(i);
    case op.BPF_ST: {
      const mode = op.opMode(i.opcode);
      if (mode === op.BPF_MEM) {
        return `${pre}*(${str(LDST_STR, op.opSize(i.opcode) >> 3)} *)(r${i.dst} ${signed(i.off)}) = ${i.imm}`;
      }
      if (mode === op.BPF_NOSPEC) return `${pre}nospec`;
      return `BUG_st_${hex2(i.opcode)}`;
    }
    case op.BPF_LDX: {
      const mode = op.opMode(i.opcode);
      if (mode !== op.BPF_MEM && mode !== op.BPF_MEMSX) return `BUG_ldx_${hex2(i.opcode)}`;
      const size = str(mode === op.BPF_MEM ? LDST_STR : LDSX_STR, op.opSize(i.opcode) >> 3);
      return `${pre}r${i.dst} = *(${size} *)(r${i.src} ${signed(i.off)})`;
    }
    case op.BPF_LD: {
      const mode = op.opMode(i.opcode);
      const size = str(LDST_STR, op.opSize(i.opcode) >> 3);
      if (mode === op.BPF_ABS) return `${pre}r0 = *(${size} *)skb[${i.imm}]`;
      if (mode === op.BPF_IND) return `${pre}r0 = *(${size} *)skb[r${i.src} + ${i.imm}]`;
      if (mode === op.BPF_IMM && op.opSize(i.opcode) === op.BPF_DW) return `${pre}r${i.dst} = ${ldImm64Text(i, opts)}`;
      return `BUG_ld_${hex2(i.opcode)}`;
    }
    default:
      return pre + jmpText(s);
  }
}

/** Resolves what can be resolved for display; a missing label is shown by name. */
function shown(insns: readonly Insn[]): Shown[] {
  let labels: Map<string, number>;
  try {
    labels = labelSlots(insns);
  } catch {
    labels = new Map();
    const { slots } = slotIndex(insns);
    insns.forEach((i, k) => {
      if (i.label !== undefined && !labels.has(i.label)) labels.set(i.label, slots[k]!);
    });
  }
  const { slots } = slotIndex(insns);
  return insns.map((i, k) => {
    if (i.jumpTo === undefined) return { insn: i };
    const to = labels.get(i.jumpTo);
    if (to === undefined) return { insn: i, unresolved: `<${i.jumpTo}>` };
    const delta = to - (slots[k]! + 1);
    return { insn: jumpsViaImm(i) ? { ...i, imm: delta } : { ...i, off: delta } };
  });
}

/** One instruction in print_bpf_insn's text, e.g. `(07) r2 += -4`, without slot or comment. */
export function formatInsn(insn: Insn, opts: DisasmOptions = {}): string {
  return lineOf(shown([insn])[0]!, opts);
}

/**
 * The program as `bpftool prog dump xlated` prints it: one line per instruction,
 * `% 4d: ` slot index, `(opcode) text`, and `\t; comment` for commented instructions.
 * Labels still symbolic are resolved for display. Ends with a newline.
 */
export function disasm(insns: readonly Insn[], opts: DisasmOptions = {}): string {
  const lines: string[] = [];
  let slot = 0;
  for (const s of shown(insns)) {
    // printf("% 4d: "): width 4 including the blank that the ' ' flag puts before a non-negative number.
    let line = `${(' ' + slot).padStart(4)}: ${lineOf(s, opts)}`;
    if (s.insn.comment !== undefined) line += `\t; ${s.insn.comment}`;
    lines.push(line);
    slot += width(s.insn);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
