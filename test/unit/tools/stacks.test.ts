/**
 * stackcount's program shape (structure and golden disassembly), key/stack decoding, the
 * tool's plan (BCC's derived settings), and the symbolization facade's strings.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { MapType, ProgType, type ProgramSpec } from '../../../src/emit/types.js';
import * as op from '../../../src/emit/opcode.js';
import {
  stackMaps,
  stackProgram,
  decodeStackKey,
  decodeStackTrace,
  BPF_F_USER_STACK,
  STACK_KEY_SIZE,
  MAX_STACK_DEPTH,
} from '../../../src/compile/tools/stacks.js';
import { plan, parseOptions } from '../../../src/multitools/stackcount.js';
import { Kallsyms } from '../../../src/symbols/kallsyms.js';
import { Symbolizer, formatSymbol, UNKNOWN } from '../../../src/output/symbolize.js';
import { expectGolden } from '../../helpers/golden.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, actual: string): void {
  expectGolden(join(GOLDEN, name), actual);
}

const helpers = (s: ProgramSpec) => s.insns.filter((i) => i.opcode === (op.BPF_JMP | op.BPF_CALL)).map((i) => i.imm);
const maps = stackMaps();
const base = { name: 'stackcount_tp', progType: ProgType.Tracepoint, maps, filter: {} };

describe('stackcount program shape', () => {
  it('maps: counts keyed by the 28-byte key_t, a STACK_TRACE map of 127-frame stacks, a per-CPU lost counter', () => {
    expect(maps.counts).toMatchObject({ type: MapType.Hash, keySize: STACK_KEY_SIZE, valueSize: 8, maxEntries: 10240 });
    expect(maps.stacks).toMatchObject({ type: MapType.StackTrace, keySize: 4, valueSize: 8 * MAX_STACK_DEPTH });
    expect(maps.lost).toMatchObject({ type: MapType.PercpuArray, maxEntries: 2 });
  });

  it('both stacks: kernel with flags 0, user with BPF_F_USER_STACK; lost counted except -EFAULT', () => {
    const p = stackProgram({ ...base, kernelStack: true, userStack: true, comm: false });
    expect(helpers(p).filter((h) => h === Helper.GetStackid)).toHaveLength(2);
    const text = disasm(p.insns);
    expect(text).toMatch(/r3 = 0\n.*call bpf_get_stackid#27/);
    expect(text).toContain(`r3 = ${BPF_F_USER_STACK}`);
    expect(text).toContain('if r0 == 0xfffffff2 goto');
    expect(text).toContain('lost++');
    expect(helpers(p)).not.toContain(Helper.GetCurrentComm);
  });

  it('-K / -U store -1 for the other side; -P records comm; -p and -c filter first', () => {
    const k = stackProgram({ ...base, kernelStack: true, userStack: false, comm: true, filter: { pid: 7, cpu: 1 } });
    const text = disasm(k.insns);
    expect(text).toContain('no user stack');
    expect(helpers(k).filter((h) => h === Helper.GetStackid)).toHaveLength(1);
    expect(helpers(k)).toContain(Helper.GetCurrentComm);
    expect(helpers(k).slice(0, 2)).toEqual([Helper.GetSmpProcessorId, Helper.GetCurrentPidTgid]);
    expect(text).toContain('if r0 != 0x7 goto');
    const u = stackProgram({ ...base, kernelStack: false, userStack: true, comm: false });
    expect(disasm(u.insns)).toContain('no kernel stack');
  });

  it('golden disassembly', () => {
    golden('stackcount-both.asm', disasm(stackProgram({ ...base, kernelStack: true, userStack: true, comm: true }).insns));
    golden(
      'stackcount-user-pid.asm',
      disasm(
        stackProgram({ ...base, name: 'stackcount_um0', progType: ProgType.Kprobe, kernelStack: false, userStack: true, comm: true, filter: { pid: 1234 } })
          .insns,
      ),
    );
  });

  it('decodes keys and stack traces', () => {
    const k = new Uint8Array(28);
    const dv = new DataView(k.buffer);
    dv.setUint32(0, 4321, true);
    dv.setInt32(4, -14, true);
    dv.setInt32(8, 12, true);
    k.set(new TextEncoder().encode('chain'), 12);
    expect(decodeStackKey(k)).toEqual({ tgid: 4321, kernelId: -14, userId: 12, comm: 'chain' });
    const v = new Uint8Array(8 * MAX_STACK_DEPTH);
    const vd = new DataView(v.buffer);
    vd.setBigUint64(0, 0x401000n, true);
    vd.setBigUint64(8, 0x401100n, true);
    expect(decodeStackTrace(v)).toEqual([0x401000n, 0x401100n]);
  });
});

describe('stackcount plan', () => {
  const o = (argv: string[]) => parseOptions(argv, 'stackcount');
  it("derives BCC's settings", () => {
    expect(plan(o(['t:a:b']))).toEqual({ kernelStack: true, userStack: true, perpid: false, delimiter: false });
    expect(plan(o(['-p', '5', '-d', 'c:malloc']))).toEqual({ kernelStack: true, userStack: true, perpid: true, delimiter: true });
    expect(plan(o(['-d', '-K', 'x']))).toEqual({ kernelStack: true, userStack: false, perpid: false, delimiter: false });
    expect(plan(o(['-U', '-P', 'x']))).toMatchObject({ kernelStack: false, perpid: true });
    expect(() => plan(o(['-K', '-U', 'x']))).toThrow('-K and -U are mutually exclusive. If you want both stacks, that is the default.');
    expect(o(['-D', '5', '-c', '0', 'x'])).toMatchObject({ duration: 5, cpu: 0 });
  });
});

describe('symbolization facade', () => {
  const ks = () => Kallsyms.parse('ffffffff81000000 T _text\nffffffff81001000 T do_syscall_64\nffffffff81002000 t helper\t[mod]\n');
  it('kernel: name, +0xoff with -s, [module], [unknown]', () => {
    const s = new Symbolizer({ kallsyms: ks });
    expect(s.kernel(0xffffffff81001010n)).toBe('do_syscall_64');
    expect(s.kernel(0xffffffff81001010n, { offset: true })).toBe('do_syscall_64+0x10');
    expect(s.kernel(0xffffffff81002001n, { module: true })).toBe('helper [mod]');
    expect(s.kernel(0xffffffff81000001n, { module: true })).toBe('_text [kernel]');
    expect(s.kernel(0x10n)).toBe(UNKNOWN);
  });
  it('user: a process that is gone resolves to [unknown]; formatSymbol rules', () => {
    const s = new Symbolizer({ kallsyms: ks, procRoot: '/nonexistent' });
    expect(s.notice(123)).toBe(false);
    expect(s.user(123, 0x401000n, { offset: true })).toBe(UNKNOWN);
    expect(formatSymbol(undefined, { offset: true })).toBe('[unknown]');
    expect(formatSymbol({ name: 'f', offset: 31, module: '/usr/lib/libc.so.6' }, { offset: true, module: true })).toBe('f+0x1f [libc.so.6]');
  });
  it('user: this process resolves an address in its libc text', () => {
    const s = new Symbolizer({ kallsyms: ks });
    const m = /^([0-9a-f]+)-([0-9a-f]+) r-xp \S+ \S+ \S+\s+(\/\S*libc\.so\S*)$/m.exec(readFileSync('/proc/self/maps', 'utf8'));
    if (!m) return; // a statically linked node: nothing to look at
    const name = s.user(process.pid, BigInt(`0x${m[1]}`) + 0x1000n);
    expect(name).not.toBe(UNKNOWN);
    expect(s.user(process.pid, BigInt(`0x${m[1]}`) + 0x1000n, { offset: true })).toMatch(/^\S+\+0x[0-9a-f]+$/);
  });
});
