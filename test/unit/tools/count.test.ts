/**
 * funccount's program shape: a counter slot that is a constant, the attachment's cookie, or
 * (syscalls:* events at raw sys_enter/sys_exit) read from a table by syscall number; and the
 * same syscall gate in stackcount's shape. Golden disassembly of each.
 */
import { describe, it, expect } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { ProgType, type ProgramSpec } from '../../../src/emit/types.js';
import * as op from '../../../src/emit/opcode.js';
import { countProgram, countsMapSpec, encodeSyscallSlots, syscallSlotsMapSpec, type SyscallSlots } from '../../../src/compile/tools/count.js';
import { stackMaps, stackProgram } from '../../../src/compile/tools/stacks.js';
import { expectGolden } from '../../helpers/golden.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const golden = (name: string, actual: string) => expectGolden(join(GOLDEN, name), actual);
const helpers = (s: ProgramSpec) => s.insns.filter((i) => i.opcode === (op.BPF_JMP | op.BPF_CALL)).map((i) => i.imm);

const counts = countsMapSpec(3);
const enterTable = syscallSlotsMapSpec('sys_enter_slots', 40);
const exitTable = syscallSlotsMapSpec('sys_exit_slots', 40);
/** x86-64 with BTF: the compat flag read through bpf_get_current_task_btf. */
const enter: SyscallSlots = { kind: 'syscall', table: enterTable, nr: { from: 'arg1' }, compat: { base: 'task_btf', offset: 16, size: 4, mask: 2 } };
/** x86-64 without bpf_get_current_task_btf: orig_ax and the task flag through bpf_probe_read_kernel. */
const exit: SyscallSlots = {
  kind: 'syscall',
  table: exitTable,
  nr: { from: 'regs', offset: 120, size: 8 },
  compat: { base: 'task', offset: 16, size: 4, mask: 2 },
};
/** arm64: syscallno (s32) and pstate's AArch32 bit, both in the saved registers. */
const arm64Exit: SyscallSlots = {
  kind: 'syscall',
  table: exitTable,
  nr: { from: 'regs', offset: 280, size: 4 },
  compat: { base: 'regs', offset: 264, size: 8, mask: 0x10 },
};

describe('funccount program shape', () => {
  const base = { name: 'funccount', progType: ProgType.Tracepoint, counts, filter: {} };

  it('a constant slot is one direct add; a cookie slot asks bpf_get_attach_cookie', () => {
    const c = countProgram({ ...base, slot: { kind: 'const', slot: 2 } });
    expect(helpers(c)).toEqual([]);
    golden('funccount-const.asm', disasm(c.insns));
    const k = countProgram({ ...base, slot: { kind: 'cookie' } });
    expect(helpers(k)).toEqual([Helper.GetAttachCookie]);
    golden('funccount-cookie.asm', disasm(k.insns));
  });

  it('raw sys_enter: nr = args[1], bounded by the table, slot = table[nr] - 1, compat syscalls left out', () => {
    const p = countProgram({ ...base, name: 'funccount_se', progType: ProgType.RawTracepoint, slot: enter, filter: { pid: 42 } });
    const text = disasm(p.insns);
    expect(p.maps.map((m) => m.name)).toEqual(['counts', 'sys_enter_slots']);
    expect(text).toContain('r8 = *(u64 *)(r6 +8)');
    expect(text).toContain('if r8 >= 0x28 goto');
    // -p first (the one filter prologue), the compat flag read directly from the task.
    expect(helpers(p)).toEqual([Helper.GetCurrentPidTgid, Helper.GetCurrentTaskBtf]);
    expect(text).toMatch(/r1 = \*\(u32 \*\)\(r0 \+16\).*\n.*if r1 & 0x2 goto/);
    golden('funccount-sys-enter.asm', text);
  });

  it('raw sys_exit: the number from the saved registers; the compat flag through bpf_probe_read_kernel', () => {
    const p = countProgram({ ...base, name: 'funccount_sx', progType: ProgType.RawTracepoint, slot: exit });
    expect(helpers(p)).toEqual([Helper.ProbeReadKernel, Helper.GetCurrentTask, Helper.ProbeReadKernel]);
    expect(disasm(p.insns)).toContain('r2 = 8');
    golden('funccount-sys-exit.asm', disasm(p.insns));
    const a = countProgram({ ...base, name: 'funccount_sx', progType: ProgType.RawTracepoint, slot: arm64Exit });
    expect(helpers(a)).toEqual([Helper.ProbeReadKernel, Helper.ProbeReadKernel]);
    expect(disasm(a.insns)).toContain('if r1 & 0x10 goto');
    golden('funccount-sys-exit-arm64.asm', disasm(a.insns));
  });

  it('the table value: slots[nr] = slot + 1, zero elsewhere; a number past the table is refused', () => {
    const t = syscallSlotsMapSpec('sys_enter_slots', 4);
    expect(t).toMatchObject({ keySize: 4, valueSize: 16, maxEntries: 1 });
    expect([
      ...new Uint32Array(
        encodeSyscallSlots(
          t,
          new Map([
            [0, 2],
            [3, 0],
          ]),
        ).buffer,
      ),
    ]).toEqual([3, 0, 0, 1]);
    expect(() => encodeSyscallSlots(t, new Map([[4, 0]]))).toThrow(RangeError);
  });
});

describe('stackcount with a syscall table', () => {
  it('only the syscalls of the table are counted (the stack is the key, not the slot)', () => {
    const p = stackProgram({
      name: 'stackcount_se',
      progType: ProgType.RawTracepoint,
      maps: stackMaps(),
      kernelStack: true,
      userStack: true,
      comm: false,
      filter: {},
      slot: enter,
    });
    const text = disasm(p.insns);
    expect(text).toContain('not counted');
    expect(helpers(p).slice(0, 2)).toEqual([Helper.GetCurrentPidTgid, Helper.GetCurrentTaskBtf]);
    golden('stackcount-sys-enter.asm', text);
    // Any other slot source adds nothing to the shape.
    const plain = stackProgram({
      name: 'stackcount_tp',
      progType: ProgType.Tracepoint,
      maps: stackMaps(),
      kernelStack: true,
      userStack: true,
      comm: true,
      filter: {},
    });
    const withConst = stackProgram({
      name: 'stackcount_tp',
      progType: ProgType.Tracepoint,
      maps: stackMaps(),
      kernelStack: true,
      userStack: true,
      comm: true,
      filter: {},
      slot: { kind: 'const', slot: 3 },
    });
    expect(disasm(withConst.insns)).toBe(disasm(plain.insns));
  });
});
