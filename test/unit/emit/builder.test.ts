import { describe, expect, it } from 'vitest';
import { alu64, call, exit, jmp, ldMapFd, stx, FP, R0, R1, R2 } from '../../../src/emit/asm.js';
import { resolve } from '../../../src/emit/assemble.js';
import { MAX_STACK, ProgramBuilder } from '../../../src/emit/builder.js';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { AttachType, MapType, ProgType } from '../../../src/emit/types.js';
import { EmitError } from '../../../src/errors.js';

const arr = { name: 'counts', type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 };

describe('labels', () => {
  it('resolves forward and backward jumps in raw slots (ld_imm64 counts twice)', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    const m = b.map(arr);
    const top = b.newLabel('top');
    const end = b.newLabel('end');
    b.emit(alu64.mov.imm(R1, 3));
    b.bind(top).emit(alu64.sub.imm(R1, 1));
    b.emit(jmp.jeq.imm(R1, 0, end), ldMapFd(R2, m), jmp.ja(top));
    b.bind(end).emit(alu64.mov.imm(R0, 0), exit());
    const insns = resolve(b.build().insns);
    // slots: 0 mov, 1 sub(top), 2 jeq, 3-4 ld_imm64, 5 ja, 6 mov(end), 7 exit
    expect(insns[2]!.off).toBe(6 - 3);
    expect(insns[4]!.off).toBe(1 - 6);
    expect(insns[2]!.jumpTo).toBeUndefined();
  });

  it('hands out unique labels, also against names bound by hand', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.bind('x_0');
    const names = new Set([b.newLabel('x'), b.newLabel('x'), b.newLabel('y')]);
    expect(names.size).toBe(3);
    expect(names.has('x_0')).toBe(false);
  });

  it('lets several labels share one instruction', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(jmp.jeq.imm(R1, 0, 'a'), jmp.jeq.imm(R1, 1, 'b'), jmp.jeq.imm(R1, 2, 'c'));
    b.bind('a')
      .bind('b')
      .emit({ ...alu64.mov.imm(R0, 0), label: 'c' }, exit());
    const insns = resolve(b.build().insns);
    expect(insns.slice(0, 3).map((i) => i.off)).toEqual([2, 1, 0]);
  });

  it('refuses an unbound label', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(jmp.ja(b.newLabel('missing')), exit());
    expect(() => b.build()).toThrow(/never bound/);
  });

  it('refuses a label bound twice', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.bind('l').emit(exit());
    expect(() => b.bind('l')).toThrow(EmitError);
    expect(() => b.emit({ ...exit(), label: 'l' })).toThrow(/bound twice/);
  });

  it('refuses a label bound past the end, and a program without a final exit', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(alu64.mov.imm(R0, 0), exit()).bind('late');
    expect(() => b.build()).toThrow(/past the end/);
    const c = new ProgramBuilder('t', ProgType.SocketFilter);
    c.emit(alu64.mov.imm(R0, 0));
    expect(() => c.build()).toThrow(/does not end in exit/);
    expect(() => new ProgramBuilder('t', 1).build()).toThrow(/empty/);
  });

  it('accepts a final unconditional jump', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.bind('top').emit(alu64.mov.imm(R0, 0), exit(), jmp.ja('top'));
    expect(b.build().insns).toHaveLength(3);
  });

  it('reports a conditional jump too far for 16 bits', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(jmp.jeq.imm(R1, 0, 'far'));
    for (let k = 0; k < 40000; k++) b.emit(alu64.mov.imm(R0, 0));
    b.bind('far').emit(exit());
    expect(() => b.build()).toThrow(/16-bit offset range/);
  });
});

describe('stack', () => {
  it('allocates downwards from r10 with alignment', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    expect(b.stackAlloc(4, 4)).toBe(-4);
    expect(b.stackAlloc(8)).toBe(-16);
    expect(b.stackAlloc(1, 1)).toBe(-17);
    expect(b.stackAlloc(16)).toBe(-40);
    expect(b.stackUsed).toBe(40);
  });

  it('throws past 512 bytes', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    expect(b.stackAlloc(MAX_STACK - 8)).toBe(-504);
    expect(b.stackAlloc(8)).toBe(-512);
    expect(() => b.stackAlloc(1, 1)).toThrow(/512/);
    expect(() => new ProgramBuilder('t', 1).stackAlloc(513)).toThrow(EmitError);
    expect(() => new ProgramBuilder('t', 1).stackAlloc(8, 3)).toThrow(EmitError);
    expect(() => new ProgramBuilder('t', 1).stackAlloc(0)).toThrow(EmitError);
  });
});

describe('maps', () => {
  it('gives the same ref for the same name and spec, once in the spec', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    const a = b.map(arr);
    expect(b.map({ ...arr, flags: 0 })).toBe(a);
    b.emit(ldMapFd(R1, a), ldMapFd(R2, b.map(arr)), exit());
    expect(b.build().maps).toEqual([arr]);
  });

  it('refuses the same name with a different spec', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.map(arr);
    expect(() => b.map({ ...arr, maxEntries: 2 })).toThrow(/declared twice/);
  });

  it('refuses a map used but not declared', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(ldMapFd(R1, { name: 'ghost' }), exit());
    expect(() => b.build()).toThrow(/ghost/);
  });
});

describe('comments and spec', () => {
  it('puts comments on the next instruction and shows them in disasm', () => {
    const b = new ProgramBuilder('t', ProgType.Tracing, 'Dual BSD/GPL');
    const key = b.stackAlloc(4, 4);
    b.comment('pid = bpf_get_current_pid_tgid()').emit(call(Helper.GetCurrentPidTgid));
    b.comment('first')
      .comment('second')
      .emit(stx('W', FP, key, R0, 'own'));
    b.emit(alu64.mov.imm(R0, 0), exit());
    const spec = b.build({ expectedAttachType: AttachType.TraceFentry, attachBtfId: 1234 });
    expect(spec).toMatchObject({ name: 't', type: 26, license: 'Dual BSD/GPL', expectedAttachType: 24, attachBtfId: 1234 });
    expect(disasm(spec.insns)).toBe(
      [
        '   0: (85) call bpf_get_current_pid_tgid#14\t; pid = bpf_get_current_pid_tgid()',
        '   1: (63) *(u32 *)(r10 -4) = r0\t; first; second; own',
        '   2: (b7) r0 = 0',
        '   3: (95) exit',
        '',
      ].join('\n'),
    );
  });

  it('refuses a comment with nothing after it', () => {
    const b = new ProgramBuilder('t', ProgType.SocketFilter);
    b.emit(exit()).comment('dangling');
    expect(() => b.build()).toThrow(/comment/);
  });

  it('defaults the license to GPL and leaves optional fields out', () => {
    const b = new ProgramBuilder('t', ProgType.Kprobe);
    const spec = b.emit(alu64.mov.imm(R0, 0), exit()).build();
    expect(spec.license).toBe('GPL');
    expect('expectedAttachType' in spec).toBe(false);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.insns[0])).toBe(true);
  });
});
