/**
 * Shared by the compile/ unit tests: probe contexts over fixtures (kinds.btf, the tracefs
 * fixture) and the live kernel BTF when there is one, and a small eBPF interpreter that runs
 * lowered expressions without a kernel (ctx bytes, a stack, fake memory for probe reads).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BtfSpec } from '../../../src/btf/spec.js';
import { parseExpr, parseTraceProbe } from '../../../src/specs/index.js';
import { readTracepointFormat } from '../../../src/symbols/tracefs.js';
import { checkExpr, type TypedExpr } from '../../../src/compile/check.js';
import { probeContext, type ProbeContext, type ProbeContextOptions, type ProbeSite } from '../../../src/compile/context.js';
import { formatType } from '../../../src/compile/types.js';
import { Lowerer } from '../../../src/compile/lower.js';
import { ProgramBuilder } from '../../../src/emit/builder.js';
import { alu64, exit, R0, R1, R6 } from '../../../src/emit/asm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import * as op from '../../../src/emit/opcode.js';
import type { Insn } from '../../../src/emit/insn.js';
import { ProgType } from '../../../src/emit/types.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TRACEFS_FIXTURE = `${ROOT}fixtures/tracefs`;

let kinds: BtfSpec | undefined;
/** fixtures/btf/kinds.btf: struct outer/flags/file, vfs_read(file, buf, count, pos). */
export function kindsBtf(): BtfSpec {
  return (kinds ??= BtfSpec.parse(new Uint8Array(readFileSync(`${ROOT}fixtures/btf/kinds.btf`))));
}

export const LIVE_BTF_PATH = '/sys/kernel/btf/vmlinux';
/** Tests on the live BTF skip when it is missing, except in CI. */
export const skipLive = !existsSync(LIVE_BTF_PATH) && process.env.CI !== 'true';
let live: BtfSpec | undefined;
export function liveBtf(): BtfSpec {
  return (live ??= BtfSpec.parse(new Uint8Array(readFileSync(LIVE_BTF_PATH))));
}

export function tracepoint(category: string, event: string): ProbeSite {
  return { kind: 'tracepoint', category, event, fields: readTracepointFormat(TRACEFS_FIXTURE, category, event).fields };
}

/** A context whose parameters come from a written signature (`p::f(int a, …)`). */
export function withSignature(site: ProbeSite, sig: string, opts: ProbeContextOptions = {}): ProbeContext {
  return probeContext(site, { ...opts, signature: parseTraceProbe(`p::f(${sig})`).signature!, arch: 'x64' });
}

export function check(text: string, ctx: ProbeContext): TypedExpr {
  return checkExpr(parseExpr(text), ctx);
}

export function typeOf(text: string, ctx: ProbeContext): string {
  return formatType(check(text, ctx).type);
}

// ---------------------------------------------------------------------------------------------
// Interpreter

export interface Machine {
  /** The probe context bytes (R1 at entry). */
  readonly ctx: Uint8Array;
  /** Memory for probe reads: address → bytes. */
  readonly memory?: ReadonlyMap<bigint, Uint8Array>;
  readonly pidTgid?: bigint;
}

const M64 = (1n << 64n) - 1n;
const CTX_BASE = 0x1000_0000n;
const STACK_TOP = 0x2000_0000n;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/**
 * Run a program built from lowered code (no maps; helper calls: probe reads, pid_tgid, ktime,
 * map lookups returning NULL). Returns R0. Throws on anything it does not model.
 */
export function run(insns: readonly Insn[], m: Machine): bigint {
  const labels = new Map<string, number>();
  insns.forEach((i, k) => i.label !== undefined && labels.set(i.label, k));
  const stack = new Uint8Array(512);
  const r: bigint[] = new Array(11).fill(0n);
  r[1] = CTX_BASE;
  r[10] = STACK_TOP;
  const region = (addr: bigint, size: number): { buf: Uint8Array; at: number } => {
    if (addr >= CTX_BASE && addr + BigInt(size) <= CTX_BASE + BigInt(m.ctx.length)) return { buf: m.ctx, at: Number(addr - CTX_BASE) };
    if (addr >= STACK_TOP - 512n && addr + BigInt(size) <= STACK_TOP) return { buf: stack, at: Number(addr - (STACK_TOP - 512n)) };
    for (const [base, bytes] of m.memory ?? []) {
      if (addr >= base && addr + BigInt(size) <= base + BigInt(bytes.length)) return { buf: bytes, at: Number(addr - base) };
    }
    throw new Error(`bad access at 0x${addr.toString(16)} (${size} bytes)`);
  };
  const load = (addr: bigint, size: number): bigint => {
    const { buf, at } = region(addr, size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[at + k]!);
    return v;
  };
  const store = (addr: bigint, size: number, v: bigint): void => {
    const { buf, at } = region(addr, size);
    for (let k = 0; k < size; k++) buf[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  };
  const probeRead = (dst: bigint, size: number, src: bigint, str: boolean): bigint => {
    let src0: { buf: Uint8Array; at: number };
    try {
      src0 = region(src, 1);
    } catch {
      for (let k = 0; k < size; k++) store(dst + BigInt(k), 1, 0n);
      return -14n; // EFAULT
    }
    let n = 0;
    for (; n < size; n++) {
      const b = src0.at + n < src0.buf.length ? src0.buf[src0.at + n]! : 0;
      if (str && (b === 0 || n === size - 1)) {
        store(dst + BigInt(n), 1, 0n);
        return BigInt(n + 1);
      }
      store(dst + BigInt(n), 1, BigInt(b));
    }
    return str ? BigInt(n) : 0n;
  };
  const SIZE: Record<number, number> = { [op.BPF_B]: 1, [op.BPF_H]: 2, [op.BPF_W]: 4, [op.BPF_DW]: 8 };
  let pc = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    const i = insns[pc];
    if (!i) throw new Error(`fell off the program at ${pc}`);
    const cls = i.opcode & 0x07;
    const code = i.opcode & 0xf0;
    const x = (i.opcode & op.BPF_X) !== 0;
    if (i.opcode === op.LD_IMM64) {
      if (i.mapRef) throw new Error('maps are not modelled');
      r[i.dst] = i.imm64 ?? u64(BigInt(i.imm));
      pc++;
      continue;
    }
    if (cls === op.BPF_ALU64 || cls === op.BPF_ALU) {
      const w = cls === op.BPF_ALU ? 32 : 64;
      const norm = (v: bigint): bigint => BigInt.asUintN(w, v);
      const sx = (v: bigint): bigint => BigInt.asIntN(w, v);
      const d = norm(r[i.dst]!);
      const s = norm(x ? r[i.src]! : BigInt.asUintN(64, BigInt(i.imm)));
      const sh = s & BigInt(w - 1);
      let v: bigint;
      if (i.off !== 0 && (code === op.BPF_DIV || code === op.BPF_MOD || code === op.BPF_MOV)) throw new Error('BPF ISA v4 instruction');
      switch (code) {
        case op.BPF_ADD:
          v = d + s;
          break;
        case op.BPF_SUB:
          v = d - s;
          break;
        case op.BPF_MUL:
          v = d * s;
          break;
        case op.BPF_DIV:
          v = s === 0n ? 0n : d / s;
          break;
        case op.BPF_MOD:
          v = s === 0n ? d : d % s;
          break;
        case op.BPF_OR:
          v = d | s;
          break;
        case op.BPF_AND:
          v = d & s;
          break;
        case op.BPF_XOR:
          v = d ^ s;
          break;
        case op.BPF_LSH:
          v = d << sh;
          break;
        case op.BPF_RSH:
          v = d >> sh;
          break;
        case op.BPF_ARSH:
          v = sx(d) >> sh;
          break;
        case op.BPF_NEG:
          v = -d;
          break;
        case op.BPF_MOV:
          v = s;
          break;
        default:
          throw new Error(`ALU op 0x${code.toString(16)}`);
      }
      r[i.dst] = u64(norm(v)); // alu32 zero-extends
      pc++;
      continue;
    }
    if (cls === op.BPF_JMP || cls === op.BPF_JMP32) {
      if (code === op.BPF_EXIT) return r[0]!;
      if (code === op.BPF_CALL) {
        const a = r.slice(1, 6) as bigint[];
        switch (i.imm) {
          case Helper.ProbeRead:
          case Helper.ProbeReadKernel:
          case Helper.ProbeReadUser:
            r[0] = u64(probeRead(a[0]!, Number(a[1]), a[2]!, false));
            break;
          case Helper.ProbeReadStr:
          case Helper.ProbeReadKernelStr:
          case Helper.ProbeReadUserStr:
            r[0] = u64(probeRead(a[0]!, Number(a[1]), a[2]!, true));
            break;
          case Helper.GetCurrentPidTgid:
            r[0] = m.pidTgid ?? 0x0000_1234_0000_1235n;
            break;
          case Helper.KtimeGetNs:
            r[0] = 1_000_000n;
            break;
          case Helper.MapLookupElem:
            r[0] = 0n;
            break;
          default:
            throw new Error(`helper ${i.imm}`);
        }
        for (let k = 1; k <= 5; k++) r[k] = 0xdeadbeefn; // clobbered
        pc++;
        continue;
      }
      const w = cls === op.BPF_JMP32 ? 32 : 64;
      const d = BigInt.asUintN(w, r[i.dst]!);
      const s = BigInt.asUintN(w, x ? r[i.src]! : BigInt.asUintN(64, BigInt(i.imm)));
      const sd = BigInt.asIntN(w, d);
      const ss = BigInt.asIntN(w, s);
      let taken: boolean;
      switch (code) {
        case op.BPF_JA:
          taken = true;
          break;
        case op.BPF_JEQ:
          taken = d === s;
          break;
        case op.BPF_JNE:
          taken = d !== s;
          break;
        case op.BPF_JGT:
          taken = d > s;
          break;
        case op.BPF_JGE:
          taken = d >= s;
          break;
        case op.BPF_JLT:
          taken = d < s;
          break;
        case op.BPF_JLE:
          taken = d <= s;
          break;
        case op.BPF_JSGT:
          taken = sd > ss;
          break;
        case op.BPF_JSGE:
          taken = sd >= ss;
          break;
        case op.BPF_JSLT:
          taken = sd < ss;
          break;
        case op.BPF_JSLE:
          taken = sd <= ss;
          break;
        case op.BPF_JSET:
          taken = (d & s) !== 0n;
          break;
        default:
          throw new Error(`jump op 0x${code.toString(16)}`);
      }
      if (!taken) pc++;
      else if (i.jumpTo !== undefined) pc = labels.get(i.jumpTo)!;
      else pc += 1 + i.off;
      continue;
    }
    const size = SIZE[i.opcode & 0x18]!;
    const mode = i.opcode & 0xe0;
    if (cls === op.BPF_LDX) {
      if (mode !== op.BPF_MEM) throw new Error(mode === op.BPF_MEMSX ? 'BPF ISA v4 instruction' : `ldx mode 0x${mode.toString(16)}`);
      r[i.dst] = load(u64(r[i.src]! + BigInt(i.off)), size);
    } else if (cls === op.BPF_STX) {
      store(u64(r[i.dst]! + BigInt(i.off)), size, r[i.src]!);
    } else if (cls === op.BPF_ST) {
      store(u64(r[i.dst]! + BigInt(i.off)), size, u64(BigInt(i.imm)));
    } else throw new Error(`class ${cls}`);
    pc++;
  }
  throw new Error('step limit');
}

/** Lower `text` as a scalar into r0 of a fresh program and return the instructions. */
export function lowerScalar(text: string, ctx: ProbeContext): readonly Insn[] {
  const b = new ProgramBuilder('t', ProgType.RawTracepoint);
  b.emit(alu64.mov.reg(R6, R1));
  new Lowerer(b, ctx, { countReadErrors: false }).scalar(check(text, ctx), R0);
  b.emit(exit());
  return b.insns();
}

/** The value of `text` as the lowered code computes it, as an unsigned 64-bit pattern. */
export function evalLowered(text: string, ctx: ProbeContext, m: Machine): bigint {
  return u64(run(lowerScalar(text, ctx), m));
}

/** u64 slots → ctx bytes (raw_tracepoint args[]). */
export function slots(...vs: bigint[]): Uint8Array {
  const out = new Uint8Array(8 * vs.length);
  const dv = new DataView(out.buffer);
  vs.forEach((v, k) => dv.setBigUint64(8 * k, u64(v), true));
  return out;
}

export { s64, u64, M64 };
