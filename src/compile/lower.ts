/**
 * Lowering of typed expressions onto a ProgramBuilder.
 *
 * Register convention: R6 holds the probe context for the whole program (the tool emits
 * `r6 = r1` first). Lowering clobbers only R0–R5 and the stack slots it takes from
 * ProgramBuilder.stackAlloc (reused between expressions); R7–R9 survive every call, so a tool
 * can keep map value pointers and string bases there. Intermediate values are spilled to the
 * stack around helper calls.
 *
 * Value representation: a scalar in a register is its C value sign- or zero-extended to 64 bits
 * by its type ("normalised"); every operation re-normalises to its result type, so 64-bit
 * compares and stores are always right.
 *
 * Defined behaviour where C has none (the reference evaluator in the tests agrees):
 *  - shifts mask the count to the promoted left operand's width - 1 (x << 33 on an int is x << 1),
 *    like x86 and BPF's own alu32/alu64 shifts;
 *  - division by zero gives 0 and modulo by zero gives the dividend (BPF's runtime rule);
 *  - signed overflow (INT_MIN / -1, x * y) wraps in the result type.
 *
 * Memory reads: bpf_probe_read_user[_str] for user memory; in kernel probes, other memory is read
 * with bpf_probe_read[_str], which dispatches on the address (see LowerOptions.addressDispatch),
 * elsewhere with bpf_probe_read_kernel[_str]. A failed read leaves zeroes and adds one to the
 * per-CPU `read_errors` counter (READ_ERRORS_MAP) that tools report.
 */
import { emitCountSlot } from './counter.js';
import { CheckError } from '../errors.js';
import type { ProgramBuilder } from '../emit/builder.js';
import { alu32, alu64, call, jmp, jmp32, ldImm64, ldx, st, stx, R0, R1, R2, R3, R6, R7, R8, R9, FP, type Insn, type Label, type Reg } from '../emit/asm.js';
import { Helper } from '../emit/helpers.gen.js';
import { MapType, type MapSpec } from '../emit/types.js';
import { isScalar, scalarRep, sizeOf, formatType, type CType, type IntSize } from './types.js';
import { ExprCheckError, type CmpOp, type Place, type TypedExpr, type TNode } from './check.js';
import { hostArch, isPtRegsSite, type ArgLocation, type MemSpace, type ProbeContext } from './context.js';
import { regName } from '../symbols/arch.js';

/** Per-CPU count of failed probe reads (key 0, u64 per CPU). */
export const READ_ERRORS_MAP: MapSpec = Object.freeze({
  name: 'read_errors',
  type: MapType.PercpuArray,
  keySize: 4,
  valueSize: 8,
  maxEntries: 1,
});

export interface LowerOptions {
  /** Bytes of string reads (-Z in argdist, -z in trace); default 80. */
  readonly stringSize?: number;
  /** Count failed reads into READ_ERRORS_MAP (default true). */
  readonly countReadErrors?: boolean;
  /**
   * Read memory the checker calls kernel memory with bpf_probe_read[_str], which picks user or
   * kernel by the address on x86-64 and arm64 (their address spaces do not overlap). Default:
   * on in kernel probes, where "kernel" often only means "not known to be user": an untyped
   * `arg2`, a cast, or a `char *` parameter of a kernel built without BTF type tags (GCC
   * builds have none, so `const char __user *filename` reads as `char *`).
   */
  readonly addressDispatch?: boolean;
}

const INVERSE: Readonly<Record<CmpOp, CmpOp>> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

function jumpFor(op: CmpOp, signed: boolean) {
  switch (op) {
    case '<':
      return signed ? jmp.jslt : jmp.jlt;
    case '<=':
      return signed ? jmp.jsle : jmp.jle;
    case '>':
      return signed ? jmp.jsgt : jmp.jgt;
    case '>=':
      return signed ? jmp.jsge : jmp.jge;
    case '==':
      return jmp.jeq;
    case '!=':
      return jmp.jne;
  }
}

const fitsImm = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;

export class Lowerer {
  readonly stringSize: number;
  readonly #countErrors: boolean;
  readonly #dispatch: boolean;
  readonly #free8: number[] = [];
  readonly #buffers = new Map<number, number[]>();
  #keySlot: number | undefined;

  constructor(
    readonly b: ProgramBuilder,
    readonly ctx: ProbeContext,
    opts: LowerOptions = {},
  ) {
    this.stringSize = opts.stringSize ?? 80;
    this.#countErrors = opts.countReadErrors ?? true;
    this.#dispatch = opts.addressDispatch ?? !ctx.userMemory;
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** The value of `e` into `dst`, sign/zero-extended to 64 bits by its type. */
  scalar(e: TypedExpr, dst: Reg): void {
    if (dst === R6 || dst === FP) throw new CheckError(`internal: scalar() into r${dst}`);
    if (!isScalar(e.type) && !(e.node.k === 'addr')) {
      throw new ExprCheckError(`expected a number, got ${formatType(e.type)}`, e.expr.span, e.type.kind === 'string' ? ['use it with %s'] : []);
    }
    this.gen(e, dst);
  }

  /**
   * A NUL-terminated copy of the string `e` into [base+off, base+off+size). The area is zeroed
   * first, so bytes after the NUL are always 0 (strings can be hash keys). `base` is FP or a
   * callee-saved register (R7–R9) holding a map value pointer.
   */
  string(e: TypedExpr, base: Reg, off: number, size: number): void {
    this.checkBase(base);
    if (size <= 0) return;
    this.zero(base, off, size);
    const n = e.node;
    if (n.k === 'str') {
      this.storeBytes(base, off, n.bytes.slice(0, size - 1));
      return;
    }
    if (n.k === 'builtin' && n.name === 'comm') {
      this.addr(R1, base, off);
      this.emit(alu64.mov.imm(R2, Math.min(size, 16)), call(Helper.GetCurrentComm));
      return;
    }
    if (n.k === 'dataloc') {
      this.dataLocAddr(n.offset, n.relLoc, R3);
      this.addr(R1, base, off);
      this.emit(alu64.mov.imm(R2, size), call(Helper.ProbeReadKernelStr));
      this.checkRead(true);
      return;
    }
    if (n.k === 'obj' && e.type.kind === 'array') {
      const len = Math.min(size - 1, e.type.length > 0 ? sizeOf(e.type) : size - 1);
      if (n.place.k === 'ctx') {
        for (let i = 0; i < len; i++) this.emit(ldx('B', R0, R6, n.place.offset + i), stx('B', base, off + i, R0));
        return;
      }
      this.placeAddr(n.place, R3);
      this.addr(R1, base, off);
      this.emit(alu64.mov.imm(R2, len + 1), call(this.readStrHelper(n.place.space)));
      this.checkRead(true);
      return;
    }
    if (e.type.kind === 'ptr' || e.type.kind === 'int' || n.k === 'addr') {
      this.gen(e, R3);
      this.addr(R1, base, off);
      this.emit(alu64.mov.imm(R2, size), call(this.readStrHelper(e.type.kind === 'ptr' ? (e.type.user ? 'user' : 'kernel') : e.space)));
      this.checkRead(true);
      return;
    }
    throw new ExprCheckError(`cannot read ${formatType(e.type)} as a string`, e.expr.span);
  }

  /** Raw bytes of `e` (struct/array objects, scalars in their type's size) into [base+off, size). */
  bytes(e: TypedExpr, base: Reg, off: number, size: number): void {
    this.checkBase(base);
    const n = e.node;
    if (e.type.kind === 'string' || n.k === 'str' || n.k === 'dataloc') return this.string(e, base, off, size);
    if (n.k === 'obj') {
      const len = Math.min(size, sizeOf(e.type));
      if (len < size) this.zero(base, off, size);
      if (n.place.k === 'ctx') {
        for (let i = 0; i < len; i++) this.emit(ldx('B', R0, R6, n.place.offset + i), stx('B', base, off + i, R0));
        return;
      }
      this.placeAddr(n.place, R3);
      this.addr(R1, base, off);
      this.emit(alu64.mov.imm(R2, len), call(this.readHelper(n.place.space)));
      this.checkRead(false);
      return;
    }
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new CheckError(`internal: bytes() of a scalar into ${size} bytes`);
    this.gen(e, R0);
    this.emit(stx(size, base, off, R0));
  }

  /** Jump to `label` when `e` is false (0); fall through when true. && and || short-circuit. */
  branchIfFalse(e: TypedExpr, label: Label): void {
    this.branchIf(e, false, label);
  }

  /** Jump to `label` when `e` is true (non-zero). */
  branchIfTrue(e: TypedExpr, label: Label): void {
    this.branchIf(e, true, label);
  }

  /** Jump to `label` when `e` is `when` (true: non-zero); fall through otherwise. */
  private branchIf(e: TypedExpr, when: boolean, label: Label): void {
    const known = truth(e);
    if (known !== undefined) {
      if (known === when) this.emit(jmp.ja(label));
      return;
    }
    const n = e.node;
    switch (n.k) {
      case 'cmp':
        return this.compare(when ? n.op : INVERSE[n.op], n.signed, n.left, n.right, label);
      case 'logical':
        if (n.op === (when ? '||' : '&&')) {
          // Either side settles it: a true operand of ||, a false one of &&.
          this.branchIf(n.left, when, label);
          this.branchIf(n.right, when, label);
        } else {
          // The left side settling it the other way skips the right side.
          const skip = this.b.newLabel(when ? 'and_false' : 'or_true');
          this.branchIf(n.left, !when, skip);
          this.branchIf(n.right, when, label);
          this.b.bind(skip);
        }
        return;
      case 'unary':
        if (n.op === '!') return this.branchIf(n.operand, !when, label);
        break;
      case 'strcmp':
        return when ? this.strcmp(n.literal, n.operand, undefined, label) : this.strcmp(n.literal, n.operand, label, undefined);
      case 'const':
        if ((n.value !== 0n) === when) this.emit(jmp.ja(label));
        return;
    }
    this.gen(e, R0);
    this.emit(when ? jmp.jne.imm(R0, 0, label) : jmp.jeq.imm(R0, 0, label));
  }

  // -------------------------------------------------------------------------------------------
  // Stack slots

  /** An 8-byte scratch slot (FP-relative offset). */
  private temp(): number {
    return this.#free8.pop() ?? this.b.stackAlloc(8);
  }
  private release(slot: number): void {
    this.#free8.push(slot);
  }
  private buffer(size: number): number {
    const s = Math.ceil(size / 8) * 8;
    return this.#buffers.get(s)?.pop() ?? this.b.stackAlloc(s);
  }
  private releaseBuffer(size: number, at: number): void {
    const s = Math.ceil(size / 8) * 8;
    let l = this.#buffers.get(s);
    if (!l) this.#buffers.set(s, (l = []));
    l.push(at);
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  private emit(...insns: Insn[]): void {
    this.b.emit(...insns);
  }

  private checkBase(base: Reg): void {
    if (base !== FP && base !== R7 && base !== R8 && base !== R9) {
      throw new CheckError(`internal: string/bytes base must be FP or r7–r9 (got r${base}): r0–r5 do not survive helper calls`);
    }
  }

  /** dst = base + off */
  private addr(dst: Reg, base: Reg, off: number): void {
    this.emit(alu64.mov.reg(dst, base));
    if (off !== 0) this.emit(alu64.add.imm(dst, off));
  }

  /** Nodes whose code only writes their target register (no helper calls, no scratch). */
  private isLeaf(e: TypedExpr): boolean {
    const n = e.node;
    switch (n.k) {
      case 'const':
      case 'entry':
        return true;
      case 'loc':
        return n.loc.kind === 'ctx' || n.loc.kind === 'const';
      case 'load':
        return n.place.k === 'ctx' && n.bits === undefined; // ctx bitfields use r0/r1
      case 'conv':
        return this.isLeaf(n.operand);
      case 'unary':
        return n.op !== '!' && this.isLeaf(n.operand);
      default:
        return false;
    }
  }

  private gen(e: TypedExpr, t: Reg): void {
    const folded = evalConst(e);
    if (folded !== undefined) return this.loadConst(t, folded);
    const n: TNode = e.node;
    switch (n.k) {
      case 'const':
        return this.loadConst(t, normalizeValue(n.value, e.type));
      case 'loc':
        this.loadLoc(n.loc, t);
        return this.norm(t, e.type);
      case 'load':
        return this.loadPlace(n.place, e.type, t, n.bits);
      case 'obj':
        throw new ExprCheckError(`expected a number, got ${formatType(e.type)}`, e.expr.span);
      case 'addr':
        if (n.place.k === 'ctx') {
          throw new ExprCheckError('the probe context (args, ctx) cannot be used as a number', e.expr.span, ['read a field: args->name']);
        }
        return this.placeAddr(n.place, t);
      case 'builtin':
        return this.builtin(n.name, t, e);
      case 'latency': {
        const entry = this.entryFrame(e);
        this.emit(call(Helper.KtimeGetNs), ldx('DW', R1, FP, entry.offset + entry.latencyOffset!), alu64.sub.reg(R0, R1));
        if (t !== R0) this.emit(alu64.mov.reg(t, R0));
        return;
      }
      case 'entry': {
        const entry = this.entryFrame(e);
        this.emit(ldx('DW', t, FP, entry.offset + entry.paramOffsets[n.index]!));
        return this.norm(t, e.type);
      }
      case 'str':
        throw new ExprCheckError('a string literal is not a number', e.expr.span, ['compare strings with STRCMP("text", expr)']);
      case 'dataloc':
        throw new ExprCheckError(`expected a number, got a string`, e.expr.span, ['use it with %s or STRCMP']);
      case 'conv':
        this.gen(n.operand, t);
        return this.convert(t, n.operand.type, e.type);
      case 'unary':
        this.gen(n.operand, t);
        if (n.op === '-') this.emit(alu64.neg(t));
        else if (n.op === '~') this.emit(alu64.xor.imm(t, -1));
        else return this.boolValue(e, t);
        return this.norm(t, e.type);
      case 'arith':
        return this.arith(n.op, n.left, n.right, e.type, t);
      case 'cmp':
      case 'logical':
      case 'strcmp':
        return this.boolValue(e, t);
      case 'ternary': {
        const known = truth(n.cond);
        if (known !== undefined) {
          const chosen = known ? n.then : n.else;
          this.gen(chosen, t);
          return;
        }
        const elseL = this.b.newLabel('cond_else');
        const end = this.b.newLabel('cond_end');
        this.branchIfFalse(n.cond, elseL);
        this.gen(n.then, t);
        this.emit(jmp.ja(end));
        this.b.bind(elseL);
        this.gen(n.else, t);
        this.b.bind(end);
        return;
      }
    }
  }

  /** t = e ? 1 : 0 through branches. */
  private boolValue(e: TypedExpr, t: Reg): void {
    const f = this.b.newLabel('false');
    this.branchIfFalse(e, f);
    this.emit(alu64.mov.imm(t, 1), jmp.ja(1));
    this.b.bind(f);
    this.emit(alu64.mov.imm(t, 0));
  }

  private loadConst(t: Reg, v: bigint): void {
    if (fitsImm(v)) this.emit(alu64.mov.imm(t, Number(v)));
    else this.emit(ldImm64(t, v));
  }

  /** Re-normalise t (holding any 64-bit value) to type `to`. */
  private norm(t: Reg, to: CType): void {
    if (to.kind === 'bool') {
      this.emit(jmp.jeq.imm(t, 0, 1), alu64.mov.imm(t, 1));
      return;
    }
    if (!isScalar(to)) return;
    const { size, signed } = scalarRep(to);
    this.extend(t, size, signed);
  }

  private extend(t: Reg, size: IntSize, signed: boolean): void {
    if (size === 8) return;
    if (signed) {
      // Not movsx (BPF ISA v4, Linux 6.6+): the shift pair loads on every kernel.
      const bits = 64 - size * 8;
      this.emit(alu64.lsh.imm(t, bits), alu64.arsh.imm(t, bits));
    } else if (size === 4) {
      this.emit(alu32.mov.reg(t, t));
    } else {
      this.emit(alu64.and.imm(t, size === 1 ? 0xff : 0xffff));
    }
  }

  private convert(t: Reg, from: CType, to: CType): void {
    if (to.kind === 'bool') return this.norm(t, to);
    if (!isScalar(to) || !isScalar(from) || from.kind === 'bool') return;
    const a = scalarRep(from);
    const b = scalarRep(to);
    // A 64-bit target keeps the 64-bit pattern (sign- or zero-extended, both right in C).
    if (b.size === 8) return;
    // Widening keeps the value when signedness agrees or the source is unsigned.
    if (a.size < b.size && (a.signed === b.signed || !a.signed)) return;
    if (a.size === b.size && a.signed === b.signed) return;
    this.extend(t, b.size, b.signed);
  }

  /** `--dump`'s name for a load from the context at `offset`: the register, where ctx is pt_regs (`rdi`, `x0`). */
  private regComment(offset: number): string | undefined {
    if (!isPtRegsSite(this.ctx.site)) return undefined;
    const name = regName(this.ctx.arch ?? hostArch(), offset);
    return name === undefined ? undefined : `pt_regs->${name}`;
  }

  private loadLoc(loc: ArgLocation, t: Reg): void {
    switch (loc.kind) {
      case 'ctx':
        this.emit(ldx(loc.size, t, R6, loc.offset, this.regComment(loc.offset)));
        if (loc.signed) this.extend(t, loc.size, true);
        return;
      case 'const':
        return this.loadConst(t, loc.signed ? BigInt.asIntN(loc.size * 8, loc.value) : BigInt.asUintN(loc.size * 8, loc.value));
      case 'deref':
        this.emit(ldx('DW', R3, R6, loc.baseOffset, this.regComment(loc.baseOffset)));
        if (loc.disp !== 0) this.emit(alu64.add.imm(R3, loc.disp));
        return this.readScalar(R3, loc.size, loc.signed, loc.space, t);
      case 'sib': {
        const shiftBy = { 1: 0, 2: 1, 4: 2, 8: 3 }[loc.scale];
        this.emit(ldx('DW', R3, R6, loc.baseOffset, this.regComment(loc.baseOffset)), ldx('DW', R2, R6, loc.indexOffset, this.regComment(loc.indexOffset)));
        if (shiftBy) this.emit(alu64.lsh.imm(R2, shiftBy));
        this.emit(alu64.add.reg(R3, R2));
        if (loc.disp !== 0) this.emit(alu64.add.imm(R3, loc.disp));
        return this.readScalar(R3, loc.size, loc.signed, loc.space, t);
      }
    }
  }

  /** t = *(size *)R3 from user or kernel memory (R3 holds the address). */
  private readScalar(addr: Reg, size: IntSize, signed: boolean, space: MemSpace, t: Reg): void {
    if (addr !== R3) this.emit(alu64.mov.reg(R3, addr));
    const slot = this.temp();
    this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, slot), alu64.mov.imm(R2, size), call(this.readHelper(space)));
    this.checkRead(false);
    this.emit(ldx(size, t, FP, slot));
    if (signed) this.extend(t, size, true);
    this.release(slot);
  }

  private loadPlace(p: Place, type: CType, t: Reg, bits?: { shift: number; size: number }): void {
    const { size, signed } = scalarRep(type);
    if (!bits) {
      if (p.k === 'ctx') {
        this.emit(ldx(size, t, R6, p.offset));
        if (signed) this.extend(t, size, true);
        if (type.kind === 'bool') this.norm(t, type);
        return;
      }
      this.placeAddr(p, R3);
      this.readScalar(R3, size, signed, p.space, t);
      if (type.kind === 'bool') this.norm(t, type);
      return;
    }
    // Bitfield: read the bytes that hold it into a zeroed u64, then shift and extend.
    const n = Math.ceil((bits.shift + bits.size) / 8);
    if (p.k === 'ctx') {
      for (let i = n - 1; i >= 0; i--) {
        this.emit(ldx('B', R0, R6, p.offset + i));
        if (i === n - 1) this.emit(alu64.mov.reg(R1, R0));
        else this.emit(alu64.lsh.imm(R1, 8), alu64.or.reg(R1, R0));
      }
      this.emit(alu64.mov.reg(t, R1));
    } else {
      const slot = this.temp();
      this.emit(st('DW', FP, slot, 0));
      this.placeAddr(p, R3);
      this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, slot), alu64.mov.imm(R2, n), call(this.readHelper(p.space)));
      this.checkRead(false);
      this.emit(ldx('DW', t, FP, slot));
      this.release(slot);
    }
    const left = 64 - bits.shift - bits.size;
    if (left > 0) this.emit(alu64.lsh.imm(t, left));
    this.emit((signed ? alu64.arsh : alu64.rsh).imm(t, 64 - bits.size));
    if (type.kind === 'bool') this.norm(t, type);
  }

  /** t = the address of a memory place. */
  private placeAddr(p: Place, t: Reg): void {
    if (p.k === 'ctx') {
      this.emit(alu64.mov.reg(t, R6));
      if (p.offset !== 0) this.emit(alu64.add.imm(t, p.offset));
      return;
    }
    this.gen(p.addr, t);
    if (p.offset !== 0) this.emit(alu64.add.imm(t, p.offset));
  }

  /** dst = ctx + (u16)loc (+ the end of the field for __rel_loc): where a __data_loc string is. */
  private dataLocAddr(offset: number, relLoc: boolean, dst: Reg): void {
    this.emit(ldx('W', R0, R6, offset), alu64.and.imm(R0, 0xffff));
    if (relLoc) this.emit(alu64.add.imm(R0, offset + 4));
    this.emit(alu64.mov.reg(dst, R6), alu64.add.reg(dst, R0));
  }

  private readHelper(space: MemSpace): number {
    return space === 'user' ? Helper.ProbeReadUser : this.#dispatch ? Helper.ProbeRead : Helper.ProbeReadKernel;
  }
  private readStrHelper(space: MemSpace): number {
    return space === 'user' ? Helper.ProbeReadUserStr : this.#dispatch ? Helper.ProbeReadStr : Helper.ProbeReadKernelStr;
  }

  /** After a probe read (R0 = result): count a failure in read_errors. Clobbers R0–R5. */
  private checkRead(str: boolean): void {
    if (!this.#countErrors) return;
    const ok = this.b.newLabel('read_ok');
    this.emit(str ? jmp.jsge.imm(R0, 0, ok) : jmp.jeq.imm(R0, 0, ok));
    const map = this.b.map(READ_ERRORS_MAP);
    this.#keySlot ??= this.b.stackAlloc(8);
    emitCountSlot(this.b, map, 0, this.#keySlot, ok, 'read_errors++');
    this.b.bind(ok);
  }

  private builtin(name: string, t: Reg, e: TypedExpr): void {
    switch (name) {
      case 'pid':
        this.emit(call(Helper.GetCurrentPidTgid), alu32.mov.reg(t, R0));
        return;
      case 'tgid':
        this.emit(call(Helper.GetCurrentPidTgid), alu64.rsh.imm(R0, 32));
        break;
      case 'uid':
        this.emit(call(Helper.GetCurrentUidGid), alu32.mov.reg(t, R0));
        return;
      case 'gid':
        this.emit(call(Helper.GetCurrentUidGid), alu64.rsh.imm(R0, 32));
        break;
      case 'cpu':
        this.emit(call(Helper.GetSmpProcessorId));
        break;
      case 'task':
        this.emit(call(Helper.GetCurrentTask));
        break;
      default:
        throw new ExprCheckError(`${e.expr.kind === 'builtin' ? e.expr.name : name} is a string, not a number`, e.expr.span, ['use it with %s']);
    }
    if (t !== R0) this.emit(alu64.mov.reg(t, R0));
  }

  private entryFrame(e: TypedExpr): { offset: number; paramOffsets: readonly number[]; latencyOffset?: number } {
    const entry = this.ctx.entry;
    if (!entry || entry.stackOffset === undefined) {
      throw new ExprCheckError('internal: $entry/$latency lowered before emitEntryLoad()', e.expr.span);
    }
    return entry.latencyOffset === undefined
      ? { offset: entry.stackOffset, paramOffsets: entry.paramOffsets }
      : { offset: entry.stackOffset, paramOffsets: entry.paramOffsets, latencyOffset: entry.latencyOffset };
  }

  /** Evaluate l into a and r into b (b ≠ a), spilling a around r when r calls helpers. */
  private pair(l: TypedExpr, r: TypedExpr, a: Reg, b: Reg): void {
    this.gen(l, a);
    if (this.isLeaf(r)) {
      this.gen(r, b);
      return;
    }
    const slot = this.temp();
    this.emit(stx('DW', FP, slot, a));
    this.gen(r, b);
    this.emit(ldx('DW', a, FP, slot));
    this.release(slot);
  }

  private scratch(t: Reg): Reg {
    return t === R1 ? R2 : R1;
  }

  private arith(op: string, l: TypedExpr, r: TypedExpr, type: CType, t: Reg): void {
    const { size, signed } = scalarRep(type);
    const rc = constOf(r);
    if (op === '<<' || op === '>>') {
      const mask = size * 8 - 1;
      if (rc !== undefined) {
        this.gen(l, t);
        const c = Number(BigInt.asUintN(64, rc) & BigInt(mask));
        if (c !== 0) this.emit((op === '<<' ? alu64.lsh : signed ? alu64.arsh : alu64.rsh).imm(t, c));
      } else {
        const s = this.pairInto(l, r, t);
        this.emit(alu64.and.imm(s, mask), (op === '<<' ? alu64.lsh : signed ? alu64.arsh : alu64.rsh).reg(t, s));
      }
      return this.norm(t, type);
    }
    if ((op === '/' || op === '%') && rc !== undefined && normalizeValue(rc, r.type) === 0n) {
      // BPF: x / 0 = 0, x % 0 = x. The verifier refuses a constant zero divisor, so fold it.
      if (op === '/') {
        if (!this.isLeaf(l)) this.gen(l, t);
        this.emit(alu64.mov.imm(t, 0));
      } else {
        this.gen(l, t);
      }
      return;
    }
    if (signed && (op === '/' || op === '%')) {
      const s = this.pairInto(l, r, t);
      this.signedDivMod(op, t, s);
      return this.norm(t, type);
    }
    const fam = alu64;
    const ops = {
      '+': fam.add,
      '-': fam.sub,
      '*': fam.mul,
      '&': fam.and,
      '|': fam.or,
      '^': fam.xor,
      '/': fam.div,
      '%': fam.mod,
    } as const;
    const f = ops[op as keyof typeof ops];
    if (!f) throw new CheckError(`internal: operator ${op}`);
    const rv = rc === undefined ? undefined : normalizeValue(rc, r.type);
    if (rv !== undefined && fitsImm(rv) && !((op === '/' || op === '%') && !signed && rv < 0n)) {
      this.gen(l, t);
      this.emit(f.imm(t, Number(rv)));
    } else {
      const s = this.pairInto(l, r, t);
      this.emit(f.reg(t, s));
    }
    if (op !== '&' && op !== '|' && op !== '^') this.norm(t, type);
  }

  /**
   * t = t s/ s or t s% s (64-bit, both operands sign-extended) without sdiv/smod (BPF ISA v4,
   * Linux 6.6+): divide the magnitudes unsigned, then fix the sign. The quotient is negative
   * when the signs differ, the remainder takes the dividend's sign. BPF's rules for a zero
   * divisor carry over (x / 0 = 0, x % 0 = x), and INT64_MIN / -1 wraps to INT64_MIN, as sdiv does.
   */
  private signedDivMod(op: '/' | '%', t: Reg, s: Reg): void {
    const div = op === '/' ? alu64.div : alu64.mod;
    const aPos = this.b.newLabel('sdiv_a_pos');
    const negate = this.b.newLabel('sdiv_neg');
    const done = this.b.newLabel('sdiv_done');
    const plain = this.b.newLabel('sdiv_plain');
    this.emit(jmp.jsge.imm(t, 0, aPos), alu64.neg(t));
    // a < 0: |a| in t.
    if (op === '/') {
      const bPos = this.b.newLabel('sdiv_b_pos');
      this.emit(jmp.jsge.imm(s, 0, bPos), alu64.neg(s), div.reg(t, s), jmp.ja(done));
      this.b.bind(bPos);
      this.emit(div.reg(t, s), jmp.ja(negate));
    } else {
      const bPos = this.b.newLabel('smod_b_pos');
      this.emit(jmp.jsge.imm(s, 0, bPos), alu64.neg(s));
      this.b.bind(bPos);
      this.emit(div.reg(t, s), jmp.ja(negate));
    }
    this.b.bind(aPos);
    // a >= 0: the quotient is negative only when b < 0; the remainder never is.
    this.emit(jmp.jsge.imm(s, 0, plain), alu64.neg(s), div.reg(t, s));
    if (op === '/') this.emit(jmp.ja(negate));
    else this.emit(jmp.ja(done));
    this.b.bind(plain);
    this.emit(div.reg(t, s), jmp.ja(done));
    this.b.bind(negate);
    this.emit(alu64.neg(t));
    this.b.bind(done);
  }

  /** l into t, r into a scratch register; returns the scratch. */
  private pairInto(l: TypedExpr, r: TypedExpr, t: Reg): Reg {
    const s = this.scratch(t);
    this.pair(l, r, t, s);
    return s;
  }

  private compare(op: CmpOp, signed: boolean, l: TypedExpr, r: TypedExpr, label: Label): void {
    const rc = constOf(r);
    const j = jumpFor(op, signed);
    const rv = rc === undefined ? undefined : normalizeValue(rc, r.type);
    if (rv !== undefined && fitsImm(rv)) {
      this.gen(l, R0);
      this.emit(j.imm(R0, Number(rv), label));
      return;
    }
    this.pair(l, r, R0, R1);
    this.emit(j.reg(R0, R1, label));
  }

  // -------------------------------------------------------------------------------------------
  // STRCMP: does the string start with the literal? (BCC: the first strlen(lit) bytes)

  private strcmp(lit: readonly number[], e: TypedExpr, ifFalse: Label | undefined, ifTrue: Label | undefined): void {
    const n = lit.length;
    const fail = ifFalse ?? this.b.newLabel('strcmp_false');
    const done = (): void => {
      if (ifTrue) this.emit(jmp.ja(ifTrue));
      if (!ifFalse) this.b.bind(fail);
    };
    const node = e.node;
    if (node.k === 'str') {
      const same = node.bytes.length >= n && lit.every((c, i) => node.bytes[i] === c);
      if (!same) this.emit(jmp.ja(fail));
      return done();
    }
    if (node.k === 'obj' && node.place.k === 'ctx' && e.type.kind === 'array') {
      const len = sizeOf(e.type);
      if (len > 0 && n > len) {
        // The array cannot hold the literal: never equal.
        if (ifFalse) this.emit(jmp.ja(ifFalse));
        return;
      }
      for (let i = 0; i < n; i++) {
        this.emit(ldx('B', R0, R6, node.place.offset + i), jmp.jne.imm(R0, lit[i]!, fail));
      }
      return done();
    }
    // Read n+1 bytes (NUL-terminated) into a zeroed stack buffer, then compare n bytes.
    const size = Math.max(n + 1, node.k === 'builtin' ? 16 : 0);
    const buf = this.buffer(size);
    this.zero(FP, buf, Math.ceil(size / 8) * 8);
    if (node.k === 'builtin' && node.name === 'comm') {
      this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, buf), alu64.mov.imm(R2, 16), call(Helper.GetCurrentComm));
    } else if (node.k === 'dataloc') {
      this.dataLocAddr(node.offset, node.relLoc, R3);
      this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, buf), alu64.mov.imm(R2, n + 1), call(Helper.ProbeReadKernelStr));
      this.checkRead(true);
    } else if (node.k === 'obj' && node.place.k === 'mem') {
      this.placeAddr(node.place, R3);
      this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, buf), alu64.mov.imm(R2, n + 1), call(this.readStrHelper(node.place.space)));
      this.checkRead(true);
    } else {
      this.gen(e, R3);
      const space = e.type.kind === 'ptr' ? (e.type.user ? 'user' : 'kernel') : e.space;
      this.emit(alu64.mov.reg(R1, FP), alu64.add.imm(R1, buf), alu64.mov.imm(R2, n + 1), call(this.readStrHelper(space)));
      this.checkRead(true);
    }
    let i = 0;
    while (i < n) {
      const left = n - i;
      const w: IntSize = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
      let v = 0n;
      for (let k = w - 1; k >= 0; k--) v = (v << 8n) | BigInt(lit[i + k]!);
      this.emit(ldx(w, R0, FP, buf + i));
      if (w === 8) this.emit(ldImm64(R1, v), jmp.jne.reg(R0, R1, fail));
      else if (w === 4) this.emit(jmp32.jne.imm(R0, Number(BigInt.asIntN(32, v)), fail));
      else this.emit(jmp.jne.imm(R0, Number(v), fail));
      i += w;
    }
    this.releaseBuffer(size, buf);
    return done();
  }

  // -------------------------------------------------------------------------------------------
  // Stores

  private zero(base: Reg, off: number, size: number): void {
    let i = 0;
    while (i < size) {
      const at = off + i;
      const left = size - i;
      const w: IntSize = left >= 8 && at % 8 === 0 ? 8 : left >= 4 && at % 4 === 0 ? 4 : left >= 2 && at % 2 === 0 ? 2 : 1;
      this.emit(st(w, base, at, 0));
      i += w;
    }
  }

  private storeBytes(base: Reg, off: number, bytes: readonly number[]): void {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) this.emit(st('B', base, off + i, bytes[i]!));
  }
}

function constOf(e: TypedExpr): bigint | undefined {
  return evalConst(e);
}

/**
 * The value of an expression that needs no memory or context (literals and operators on them),
 * with exactly the run-time semantics (see the header). Folding is not an optimisation only:
 * the verifier refuses structurally unreachable code, which constant branches would leave.
 */
export function evalConst(e: TypedExpr): bigint | undefined {
  const n = e.node;
  const t = e.type;
  switch (n.k) {
    case 'const':
      return normalizeValue(n.value, t);
    case 'conv': {
      const v = evalConst(n.operand);
      return v === undefined ? undefined : normalizeValue(v, t);
    }
    case 'unary': {
      const v = evalConst(n.operand);
      if (v === undefined) return undefined;
      if (n.op === '!') return v === 0n ? 1n : 0n;
      return normalizeValue(n.op === '-' ? -v : ~v, t);
    }
    case 'arith': {
      const a = evalConst(n.left);
      const b = evalConst(n.right);
      if (a === undefined || b === undefined) return undefined;
      const { size } = scalarRep(t);
      switch (n.op) {
        case '+':
          return normalizeValue(a + b, t);
        case '-':
          return normalizeValue(a - b, t);
        case '*':
          return normalizeValue(a * b, t);
        case '/':
          return b === 0n ? 0n : normalizeValue(a / b, t);
        case '%':
          return b === 0n ? a : normalizeValue(a % b, t);
        case '&':
          return normalizeValue(a & b, t);
        case '|':
          return normalizeValue(a | b, t);
        case '^':
          return normalizeValue(a ^ b, t);
        case '<<':
        case '>>': {
          const c = BigInt.asUintN(64, b) & BigInt(size * 8 - 1);
          return normalizeValue(n.op === '<<' ? a << c : a >> c, t);
        }
      }
      return undefined;
    }
    case 'cmp':
    case 'logical':
    case 'strcmp': {
      const k = truth(e);
      return k === undefined ? undefined : k ? 1n : 0n;
    }
    case 'ternary': {
      const c = truth(n.cond);
      if (c === undefined) return undefined;
      const v = evalConst(c ? n.then : n.else);
      return v === undefined ? undefined : normalizeValue(v, t);
    }
    default:
      return undefined;
  }
}

/** Whether a condition is known at compile time (`x && 0` is false: nothing here has effects). */
export function truth(e: TypedExpr): boolean | undefined {
  const n = e.node;
  switch (n.k) {
    case 'logical': {
      const a = truth(n.left);
      const b = truth(n.right);
      if (n.op === '&&') return a === false || b === false ? false : a === true && b === true ? true : undefined;
      return a === true || b === true ? true : a === false && b === false ? false : undefined;
    }
    case 'cmp': {
      const a = evalConst(n.left);
      const b = evalConst(n.right);
      if (a === undefined || b === undefined) return undefined;
      switch (n.op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '==':
          return a === b;
        case '!=':
          return a !== b;
      }
      return undefined;
    }
    case 'unary':
      if (n.op === '!') {
        const k = truth(n.operand);
        return k === undefined ? undefined : !k;
      }
      break;
    case 'strcmp':
      if (n.operand.node.k === 'str') {
        const bytes = n.operand.node.bytes;
        return bytes.length >= n.literal.length && n.literal.every((c, i) => bytes[i] === c);
      }
      return undefined;
    case 'addr':
      return undefined;
  }
  const v = n.k === 'const' || n.k === 'conv' || n.k === 'unary' || n.k === 'arith' || n.k === 'ternary' ? evalConst(e) : undefined;
  return v === undefined ? undefined : v !== 0n;
}

function normalizeValue(v: bigint, t: CType): bigint {
  if (t.kind === 'bool') return v !== 0n ? 1n : 0n;
  if (!isScalar(t)) return v;
  const { size, signed } = scalarRep(t);
  return signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}
