/**
 * Lowering without a kernel: golden disassembly of representative expressions
 * (test/golden/compile/*.asm; UPDATE_GOLDEN=1 rewrites them), and the lowered code run in a
 * small interpreter (helpers.ts) for the semantics the header of lower.ts documents: sign
 * extension, promotions, shift counts, division by zero, signed division without ISA v4,
 * short-circuit, registers kept across helper calls, bounded stack.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProgramBuilder } from '../../../src/emit/builder.js';
import { alu64, exit, jmp, R0, R1, R6, R8 } from '../../../src/emit/asm.js';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import * as op from '../../../src/emit/opcode.js';
import { ProgType } from '../../../src/emit/types.js';
import { parseExpr } from '../../../src/specs/index.js';
import { Lowerer } from '../../../src/compile/lower.js';
import { probeContext, type ProbeContext } from '../../../src/compile/context.js';
import { entryNeeds, emitEntryLoad } from '../../../src/compile/entry.js';
import { expectGolden } from '../../helpers/golden.js';
import { check, evalLowered, kindsBtf, lowerScalar, run, slots, tracepoint, u64, withSignature } from './helpers.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../../golden/compile');

function golden(name: string, actual: string): void {
  expectGolden(join(GOLDEN, `${name}.asm`), actual);
}

type Kind = 'scalar' | 'string' | 'predicate';

/** One program: r6 = ctx, the expression lowered (into r8, into a stack string, or as a branch). */
function listing(text: string, ctx: ProbeContext, kind: Kind = 'scalar', prelude?: (b: ProgramBuilder) => void): string {
  const b = new ProgramBuilder('golden', ProgType.Kprobe);
  b.emit(alu64.mov.reg(R6, R1));
  prelude?.(b);
  const lw = new Lowerer(b, ctx, { stringSize: 32 });
  const te = check(text, ctx);
  b.comment(text);
  if (kind === 'scalar') lw.scalar(te, R8);
  else if (kind === 'string') lw.string(te, 10, b.stackAlloc(32), 32);
  else {
    const f = b.newLabel('false');
    lw.branchIfFalse(te, f);
    b.emit(alu64.mov.imm(R0, 1), exit());
    b.bind(f);
  }
  b.emit(alu64.mov.imm(R0, 0), exit());
  return `; ${text}\n` + disasm(b.insns());
}

const vfs = probeContext({ kind: 'kprobe', symbol: 'vfs_read' }, { btf: kindsBtf(), arch: 'x64' });
const sig = withSignature({ kind: 'kprobe', symbol: 'f' }, 'u64 a, s32 b, u32 c, s64 d, u16 e, s8 f');
const up = withSignature({ kind: 'uprobe', symbol: 'nanosleep' }, 'const struct timespec *req, char *name');
const openat = probeContext(tracepoint('syscalls', 'sys_enter_openat'), { arch: 'x64' });
const exec = probeContext(tracepoint('sched', 'sched_process_exec'), { arch: 'x64' });
const uret = probeContext({ kind: 'uretprobe', symbol: 'malloc' }, { arch: 'x64' });

describe('golden disassembly of lowered expressions', () => {
  const cases: ReadonlyArray<readonly [string, string, ProbeContext, Kind?]> = [
    ['int-retval-negative', '(int)retval < 0', uret, 'predicate'],
    ['signed-promotion', 'b + f * e', sig],
    ['unsigned-compare', 'c < b', sig, 'predicate'],
    ['signed-div-mod', 'b / f + d % 7', sig],
    ['shift-mask', '(e << c) >> 3', sig],
    ['btf-member-chain', 'file->f_pos + count', vfs],
    ['uprobe-struct-member', 'req->tv_nsec / 1000', up],
    ['syscall-filename-user', 'args->filename', openat, 'string'],
    ['data-loc-string', 'args->filename', exec, 'string'],
    ['untyped-arg-dispatch', 'arg2', probeContext({ kind: 'kprobe' }, { arch: 'x64' }), 'string'],
    ['strcmp-short-circuit', 'STRCMP("/tmp", args->filename) && args->dfd != -100 || !(args->flags & 1)', openat, 'predicate'],
    ['ternary-builtins', '$PID == 1 ? $cpu : $TID', sig],
    ['bitfield', '((struct flags *)arg1)->c', probeContext({ kind: 'kprobe' }, { btf: kindsBtf(), arch: 'x64' })],
    ['arg-user-strcmp', 'STRCMP("go", arg1@user)', probeContext({ kind: 'kprobe' }, { arch: 'x64' }), 'predicate'],
    // arm64 (issue 19): AAPCS64 registers x0-x7, then the stack at sp; the wrapper's pt_regs in x0.
    ['arm64-uprobe-args', 'arg1 + arg8 + arg9', probeContext({ kind: 'uprobe', symbol: 'work' }, { arch: 'arm64' })],
    ['arm64-uretprobe-retval', '(int)retval < 0', probeContext({ kind: 'uretprobe', symbol: 'work' }, { arch: 'arm64' }), 'predicate'],
    ['arm64-syscall-wrapper-arg', 'arg2', probeContext({ kind: 'kprobe', symbol: '__arm64_sys_openat' }, { arch: 'arm64' })],
  ];
  for (const [name, text, ctx, kind] of cases) {
    it(`${name}: ${text}`, () => golden(name, listing(text, ctx, kind ?? 'scalar')));
  }

  it('latency-per-byte: $latency / $entry(count) in a return probe', () => {
    const entryCtx = withSignature({ kind: 'kprobe', symbol: '__vfs_read' }, 'void *file, char *buf, size_t count');
    const needs = entryNeeds([parseExpr('$latency / $entry(count)')], entryCtx, { mapName: 'ent' });
    const ctx = withSignature({ kind: 'kretprobe', symbol: '__vfs_read' }, 'void *file, char *buf, size_t count', { entry: needs });
    golden(
      'latency-per-byte',
      listing('$latency / $entry(count)', ctx, 'scalar', (b) => emitEntryLoad(b, needs, 'golden_skip')).replace(/golden_skip/g, 'skip'),
    );
  });
});

describe('lowered code, interpreted', () => {
  const raw = withSignature({ kind: 'raw_tracepoint', nargs: 6 }, 'u64 a, s32 b, u32 c, s64 d, u16 e, s8 f');
  const env = (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, f: bigint) => ({ ctx: slots(a, b, c, d, e, f) });

  it('sign extension from narrower slots and casts', () => {
    const m = env(0n, 0xffffffffn, 0xffffffffn, -5n, 0xffffn, 0x80n);
    expect(evalLowered('b', raw, m)).toBe(u64(-1n));
    expect(evalLowered('c', raw, m)).toBe(0xffffffffn);
    expect(evalLowered('f', raw, m)).toBe(u64(-128n));
    expect(evalLowered('e', raw, m)).toBe(0xffffn);
    expect(evalLowered('(s16)e', raw, m)).toBe(u64(-1n));
    expect(evalLowered('(long)b', raw, m)).toBe(u64(-1n));
    expect(evalLowered('(u64)c', raw, m)).toBe(0xffffffffn);
    expect(evalLowered('(int)d', raw, m)).toBe(u64(-5n));
    expect(evalLowered('(unsigned char)f', raw, m)).toBe(0x80n);
  });

  it('usual arithmetic conversions: u32 + s64, unsigned compare of u32 with -1, (int)x < 0', () => {
    const m = env(0n, u64(-1n), 0xffffffffn, -1n, 1n, 0n);
    expect(evalLowered('c + d', raw, m)).toBe(0xfffffffen); // s64: 4294967295 + -1
    expect(evalLowered('c < b', raw, m)).toBe(0n); // both u32 0xffffffff
    expect(evalLowered('c > -1', raw, m)).toBe(0n); // -1 becomes 0xffffffff
    expect(evalLowered('d < 0', raw, m)).toBe(1n);
    expect(evalLowered('a - 1 > 0', raw, m)).toBe(1n); // u64 wraps
    expect(evalLowered('(int)c < 0', raw, m)).toBe(1n);
    expect(evalLowered('e - 2', raw, m)).toBe(u64(-1n)); // u16 promotes to int
  });

  it('shifts mask the count to the promoted width; division by zero is 0, modulo by zero the dividend', () => {
    const m = env(1n, 33n, 5n, 0n, 1n, -1n);
    expect(evalLowered('e << b', raw, m)).toBe(2n); // int: 33 & 31
    expect(evalLowered('a << b', raw, m)).toBe(1n << 33n);
    expect(evalLowered('f >> 1', raw, m)).toBe(u64(-1n)); // arithmetic
    expect(evalLowered('c / d', raw, m)).toBe(0n);
    expect(evalLowered('c % d', raw, m)).toBe(5n);
    expect(evalLowered('b / (d + 0)', raw, m)).toBe(0n);
    expect(evalLowered('f % d', raw, m)).toBe(u64(-1n));
    // A constant zero divisor is a check error (test/unit/compile/nonsense.test.ts).
  });

  it('signed division and modulo in every sign combination, without sdiv/smod', () => {
    const min = -(1n << 63n);
    for (const [x, y] of [
      [7n, 2n],
      [-7n, 2n],
      [7n, -2n],
      [-7n, -2n],
      [min, -1n],
      [min, 1n],
      [min, 3n],
      [5n, min],
      [-5n, 0n],
      [0n, -3n],
    ] as const) {
      const m = env(0n, 0n, 0n, x, 0n, 0n);
      const ctx = withSignature({ kind: 'raw_tracepoint', nargs: 2 }, 's64 p, s64 q');
      const mm = { ctx: slots(x, y) };
      const q = y === 0n ? 0n : BigInt.asIntN(64, x / y);
      const r = y === 0n ? x : BigInt.asIntN(64, x % y);
      expect([x, y, evalLowered('p / q', ctx, mm)]).toEqual([x, y, u64(q)]);
      expect([x, y, evalLowered('p % q', ctx, mm)]).toEqual([x, y, u64(r)]);
      void m;
    }
    // 32-bit: INT_MIN / -1 wraps to INT_MIN
    const c32 = withSignature({ kind: 'raw_tracepoint', nargs: 2 }, 'int p, int q');
    expect(evalLowered('p / q', c32, { ctx: slots(-(1n << 31n), -1n) })).toBe(u64(-(1n << 31n)));
    expect(evalLowered('p / -3', c32, { ctx: slots(-7n, 0n) })).toBe(2n);
  });

  it('no BPF ISA v4 instructions (movsx, ldxsx, sdiv, smod): programs load on 6.1', () => {
    const exprs = ['(s8)a + (s16)b * (int)c / (long)d % f', 'b / f', '(char)e >> 2', 'f', 'req->tv_nsec'];
    for (const t of exprs) {
      for (const i of lowerScalar(t, t.startsWith('req') ? up : raw)) {
        const cls = i.opcode & 7;
        if (cls === op.BPF_ALU || cls === op.BPF_ALU64) expect(i.off, t).toBe(0);
        if (cls === op.BPF_LDX) expect(i.opcode & 0xe0, t).toBe(op.BPF_MEM);
      }
    }
  });

  it('short-circuit: the right side of && is not evaluated when the left is false', () => {
    // The right side reads through a null pointer: evaluating it would fault in the interpreter.
    const ctx = withSignature({ kind: 'raw_tracepoint', nargs: 2 }, 'u64 p, struct timespec *ts');
    expect(evalLowered('p != 0 && ts->tv_sec > 0', ctx, { ctx: slots(0n, 0n) })).toBe(0n);
    expect(evalLowered('p == 0 || ts->tv_sec > 0', ctx, { ctx: slots(0n, 0n) })).toBe(1n);
  });

  it('values held in registers survive helper calls (spilled to the stack)', () => {
    const ctx = withSignature({ kind: 'raw_tracepoint', nargs: 2 }, 'u64 p, struct timespec *ts');
    const mem = new Map([[0x7000n, slots(11n, 22n)]]);
    const m = { ctx: slots(5n, 0x7000n), memory: mem, pidTgid: (77n << 32n) | 78n };
    expect(evalLowered('p + ts->tv_sec', ctx, m)).toBe(16n);
    expect(evalLowered('ts->tv_sec * 100 + ts->tv_nsec', ctx, m)).toBe(1122n);
    expect(evalLowered('$PID - (p + $TID)', ctx, m)).toBe(u64(77n - 5n - 78n));
    expect(evalLowered('(p + 1) * (ts->tv_nsec - ts->tv_sec) + $PID', ctx, m)).toBe(6n * 11n + 77n);
  });

  it('stack use is bounded: scratch slots are reused across expressions', () => {
    const b = new ProgramBuilder('stack', ProgType.RawTracepoint);
    b.emit(alu64.mov.reg(R6, R1));
    const ctx = withSignature({ kind: 'raw_tracepoint', nargs: 2 }, 'u64 p, struct timespec *ts');
    const lw = new Lowerer(b, ctx);
    for (let i = 0; i < 50; i++) lw.scalar(check('(p + ts->tv_sec) * (ts->tv_nsec + $PID) + STRCMP("abc", (char *)p)', ctx), R8);
    b.emit(exit());
    expect(b.build().insns.length).toBeGreaterThan(0);
    // A deep right-leaning chain of helper-calling operands needs one slot per level, within 512.
    const deep = Array.from({ length: 40 }, () => 'ts->tv_sec').join(' + (') + ')'.repeat(39);
    const b2 = new ProgramBuilder('deep', ProgType.RawTracepoint);
    b2.emit(alu64.mov.reg(R6, R1));
    new Lowerer(b2, ctx).scalar(check(deep, ctx), R8);
    b2.emit(exit());
    expect(() => b2.build()).not.toThrow();
  });

  it('memory reads by space: user in uprobes, address dispatch in kernel probes, kernel for __data_loc', () => {
    const helpers = (text: string, ctx: ProbeContext, kind: Kind = 'scalar') => {
      const b = new ProgramBuilder('h', ProgType.Kprobe);
      b.emit(alu64.mov.reg(R6, R1));
      const lw = new Lowerer(b, ctx, { countReadErrors: false });
      if (kind === 'string') lw.string(check(text, ctx), 10, b.stackAlloc(16), 16);
      else if (kind === 'predicate') lw.branchIfFalse(check(text, ctx), 'x');
      else lw.scalar(check(text, ctx), R8);
      return b
        .insns()
        .filter((i) => i.opcode === (op.BPF_JMP | op.BPF_CALL))
        .map((i) => i.imm);
    };
    expect(helpers('req->tv_sec', up)).toEqual([Helper.ProbeReadUser]);
    expect(helpers('name', up, 'string')).toEqual([Helper.ProbeReadUserStr]);
    expect(helpers('args->filename', openat, 'string')).toEqual([Helper.ProbeReadUserStr]);
    expect(helpers('args->filename', exec, 'string')).toEqual([Helper.ProbeReadKernelStr]);
    expect(helpers('file->f_pos', vfs)).toEqual([Helper.ProbeRead]);
    expect(helpers('buf', vfs, 'string')).toEqual([Helper.ProbeReadStr]);
    expect(helpers('arg2@user', vfs, 'string')).toEqual([Helper.ProbeReadUserStr]);
    expect(helpers('STRCMP("a", arg2@user)', vfs, 'predicate')).toEqual([Helper.ProbeReadUserStr]);
    expect(helpers('(char *)retval', uret, 'string')).toEqual([Helper.ProbeReadUserStr]);
  });

  it('runs a whole predicate program', () => {
    const ctx = withSignature({ kind: 'raw_tracepoint', nargs: 1 }, 'char *s');
    const b = new ProgramBuilder('p', ProgType.RawTracepoint);
    b.emit(alu64.mov.reg(R6, R1));
    new Lowerer(b, ctx, { countReadErrors: false }).branchIfFalse(check('STRCMP("/tmp", s)', ctx), 'no');
    b.emit(alu64.mov.imm(R0, 1), exit());
    b.bind('no');
    b.emit(alu64.mov.imm(R0, 0), jmp.ja('end'));
    b.bind('end');
    b.emit(exit());
    const mem = (t: string) => new Map([[0x9000n, new Uint8Array([...Buffer.from(t), 0])]]);
    expect(run(b.insns(), { ctx: slots(0x9000n), memory: mem('/tmp/x') })).toBe(1n);
    expect(run(b.insns(), { ctx: slots(0x9000n), memory: mem('/tm') })).toBe(0n);
    expect(run(b.insns(), { ctx: slots(0x9000n), memory: mem('/etc') })).toBe(0n);
  });
});
