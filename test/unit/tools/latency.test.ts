/**
 * funclatency's program shapes: the log2 bucket computed by the emitted instructions (run in
 * a tiny interpreter) equals BCC's bpf_log2l (log2Slot) on edge and random values; the
 * entry/return programs' structure (maps, no backward jumps, stack budget, unit scaling,
 * keyed sections) and golden disassembly; the tool's plan and histogram decoding.
 */
import { describe, it, expect } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProgramBuilder } from '../../../src/emit/builder.js';
import { exit, R0, R1, R2 } from '../../../src/emit/asm.js';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { MapType, ProgType, AttachType, type ProgramSpec } from '../../../src/emit/types.js';
import type { Insn } from '../../../src/emit/insn.js';
import * as op from '../../../src/emit/opcode.js';
import { log2Slot } from '../../../src/output/log2hist.js';
import { log2Insns, latencyMaps, latencyEntryProgram, latencyReturnProgram, MAX_LEVEL, KERNEL_TGID } from '../../../src/compile/tools/latency.js';
import { CGROUP_MAP } from '../../../src/compile/filter.js';
import { plan, readHist, parseOptions, type FunclatencyOptions } from '../../../src/multitools/funclatency.js';
import type { ProbeTarget } from '../../../src/probes/targets.js';
import { expectGolden } from '../../helpers/golden.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, actual: string): void {
  expectGolden(join(GOLDEN, name), actual);
}

// ---- a register-only eBPF interpreter ----------------------------------------------------

const M = (1n << 64n) - 1n;

function runRegs(insns: readonly Insn[], regs: bigint[]): { r0: bigint; backJumps: number } {
  const labels = new Map<string, number>();
  insns.forEach((i, k) => i.label !== undefined && labels.set(i.label, k));
  const r = regs.slice();
  let pc = 0;
  let backJumps = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    const i = insns[pc]!;
    const cls = i.opcode & 0x07;
    const code = i.opcode & 0xf0;
    const s = i.opcode & op.BPF_X ? r[i.src]! : BigInt.asUintN(64, BigInt(i.imm));
    if (cls === op.BPF_ALU64) {
      const d = r[i.dst]!;
      const v =
        code === op.BPF_ADD
          ? d + s
          : code === op.BPF_SUB
            ? d - s
            : code === op.BPF_RSH
              ? d >> (s & 63n)
              : code === op.BPF_LSH
                ? d << (s & 63n)
                : code === op.BPF_DIV
                  ? s === 0n
                    ? 0n
                    : d / s
                  : code === op.BPF_MOV
                    ? s
                    : undefined;
      if (v === undefined) throw new Error(`unsupported ALU 0x${i.opcode.toString(16)}`);
      r[i.dst] = v & M;
      pc++;
    } else if (cls === op.BPF_JMP) {
      if (code === op.BPF_EXIT) return { r0: r[0]!, backJumps };
      const d = r[i.dst]!;
      const taken = code === op.BPF_JA ? true : code === op.BPF_JEQ ? d === s : code === op.BPF_JNE ? d !== s : code === op.BPF_JGE ? d >= s : undefined;
      if (taken === undefined) throw new Error(`unsupported jump 0x${i.opcode.toString(16)}`);
      if (taken) {
        const to = labels.get(i.jumpTo!)!;
        if (to <= pc) backJumps++;
        pc = to;
      } else pc++;
    } else throw new Error(`unsupported class ${cls}`);
  }
  throw new Error('step limit: a loop?');
}

function log2Program(): readonly Insn[] {
  const b = new ProgramBuilder('log2', ProgType.Kprobe);
  log2Insns(b, R0, R1, R2);
  b.emit(exit());
  return b.build().insns;
}

function bpfLog2(v: bigint): number {
  const { r0, backJumps } = runRegs(log2Program(), [0n, v & M, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
  expect(backJumps).toBe(0);
  return Number(r0);
}

function backwardJumps(spec: ProgramSpec): number {
  const at = new Map<string, number>();
  spec.insns.forEach((i, k) => i.label !== undefined && at.set(i.label, k));
  return spec.insns.filter((i, k) => i.jumpTo !== undefined && at.get(i.jumpTo)! <= k).length;
}

function helpers(spec: ProgramSpec): number[] {
  return spec.insns.filter((i) => i.opcode === (op.BPF_JMP | op.BPF_CALL)).map((i) => i.imm);
}

describe('log2 bucket in BPF', () => {
  it('equals bpf_log2l at every power of two and its neighbours', () => {
    const values = [0n, 1n, 2n, 3n];
    for (let k = 2; k < 64; k++) values.push((1n << BigInt(k)) - 1n, 1n << BigInt(k), (1n << BigInt(k)) + 1n);
    values.push(M, M - 1n);
    for (const v of values) expect(bpfLog2(v), `v=${v}`).toBe(log2Slot(v));
  });

  it('equals bpf_log2l on random values of every magnitude', () => {
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & M;
      const v = x >> BigInt(i % 64);
      expect(bpfLog2(v), `v=${v}`).toBe(log2Slot(v));
    }
  });

  it('is straight-line code: 6 halving steps, no loop', () => {
    const insns = log2Program();
    expect(insns.length).toBe(1 + 6 * 5 + 1);
  });
});

const maps = latencyMaps({});
const nestedMaps = latencyMaps({ level: 4 });

describe('funclatency program shapes', () => {
  it('maps: start per tid, avg per-CPU, hist hash of {fslot,tgid,bucket,pad}', () => {
    expect(maps.start).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 8 });
    expect(nestedMaps.start.valueSize).toBe(8 + 8 * 4);
    expect(maps.avg).toMatchObject({ type: MapType.PercpuArray, valueSize: 16, maxEntries: 1 });
    expect(maps.hist).toMatchObject({ type: MapType.Hash, keySize: 16, valueSize: 8 });
    expect(CGROUP_MAP).toMatchObject({ type: MapType.CgroupArray, keySize: 4, valueSize: 4 });
  });

  it('entry: ktime stored per tid, filters first; no loops', () => {
    const e = latencyEntryProgram({ name: 'e', progType: ProgType.Kprobe, maps: latencyMaps({}), filter: { pid: 42, cgroup: CGROUP_MAP } });
    const h = helpers(e);
    expect(h).toEqual([Helper.GetCurrentPidTgid, Helper.CurrentTaskUnderCgroup, Helper.KtimeGetNs, Helper.MapUpdateElem]);
    expect(backwardJumps(e)).toBe(0);
    expect(disasm(e.insns)).toContain('if r0 != 0x2a goto');
  });

  it('nested entry: a bounded per-thread stack, zero-initialised once, within the BPF stack', () => {
    for (const level of [2, 8, MAX_LEVEL]) {
      const e = latencyEntryProgram({ name: 'e', progType: ProgType.Kprobe, maps: latencyMaps({ level }), level, filter: {} });
      expect(backwardJumps(e)).toBe(0);
      expect(helpers(e)).toEqual([Helper.GetCurrentPidTgid, Helper.MapLookupElem, Helper.MapUpdateElem, Helper.MapLookupElem, Helper.KtimeGetNs]);
      expect(disasm(e.insns)).toContain(`if r1 >= 0x${level.toString(16)} goto`);
    }
    expect(() => latencyEntryProgram({ name: 'e', progType: 2, maps: latencyMaps({ level: 64 }), level: 64, filter: {} })).toThrow(/level must be between/);
  });

  it('return: delta, avg in ns, then the unit divides before the log2', () => {
    for (const [unit, div] of [
      ['nsecs', undefined],
      ['usecs', 'r8 /= 1000'],
      ['msecs', 'r8 /= 1000000'],
    ] as const) {
      const r = latencyReturnProgram({ name: 'r', progType: 2, maps, unit, keyed: false, perProcess: false, slot: { kind: 'cookie' } });
      const text = disasm(r.insns);
      expect(backwardJumps(r)).toBe(0);
      if (div) expect(text).toContain(div);
      else expect(text).not.toMatch(/\/=/);
      expect(text.indexOf('avg.total += delta')).toBeLessThan(text.indexOf('slot = bpf_log2l'));
      expect(helpers(r)).not.toContain(Helper.GetAttachCookie);
    }
  });

  it('return, keyed: function slot from the cookie or a constant; tgid for user functions, -1 for kernel', () => {
    const cookie = latencyReturnProgram({ name: 'r', progType: 2, maps, unit: 'nsecs', keyed: true, perProcess: true, slot: { kind: 'cookie' } });
    expect(helpers(cookie)).toContain(Helper.GetAttachCookie);
    expect(disasm(cookie.insns)).toContain('; tgid');
    const konst = latencyReturnProgram({ name: 'r', progType: 2, maps, unit: 'nsecs', keyed: true, perProcess: false, slot: { kind: 'const', slot: 7 } });
    expect(helpers(konst)).not.toContain(Helper.GetAttachCookie);
    expect(disasm(konst.insns)).toMatch(/= 7\t; fslot 7/);
    expect(disasm(konst.insns)).toContain('kernel: tgid -1');
  });

  it('golden disassembly of the four main shapes', () => {
    const ua = AttachType.TraceUprobeMulti;
    golden('funclatency-entry.asm', disasm(latencyEntryProgram({ name: 'funclat_e', progType: 2, expectedAttachType: ua, maps, filter: {} }).insns));
    golden('funclatency-entry-nested.asm', disasm(latencyEntryProgram({ name: 'funclat_e', progType: 2, maps: nestedMaps, level: 4, filter: {} }).insns));
    golden(
      'funclatency-return-usecs.asm',
      disasm(latencyReturnProgram({ name: 'funclat_r', progType: 2, maps, unit: 'usecs', keyed: false, perProcess: false, slot: { kind: 'cookie' } }).insns),
    );
    golden(
      'funclatency-return-nested-keyed.asm',
      disasm(
        latencyReturnProgram({
          name: 'funclat_r',
          progType: 2,
          maps: nestedMaps,
          level: 4,
          unit: 'msecs',
          keyed: true,
          perProcess: true,
          slot: { kind: 'cookie' },
        }).insns,
      ),
    );
  });
});

describe('funclatency plan and decoding', () => {
  const opts = (argv: string[]): FunclatencyOptions => parseOptions(argv, 'funclatency');

  it('options: units (-m wins), clustering, level bounds', () => {
    expect(opts(['c:read']).unit).toBe('nsecs');
    expect(opts(['-u', 'c:read']).unit).toBe('usecs');
    expect(opts(['-m', '-u', 'c:read']).unit).toBe('msecs');
    const o = opts(['-mTi', '5', '-l', '3', '-F', 'x:f']);
    expect(o).toMatchObject({ unit: 'msecs', timestamp: true, interval: 5, level: 3, function: true });
    expect(() => opts(['-l', '99', 'c:read'])).toThrow(/level must be between 1 and 32/);
    expect(() => opts(['-i', 'x', 'c:read'])).toThrow(/invalid int value/);
  });

  it("keyed = -F or (user function and no -p), as BCC's need_key", () => {
    const ref = (library: string) => ({ type: 'p' as const, library, pattern: 'f' });
    expect(plan(opts(['c:read']), ref('c'))).toEqual({ keyed: true, perProcess: true });
    expect(plan(opts(['-p', '1', 'c:read']), ref('c'))).toEqual({ keyed: false, perProcess: true });
    expect(plan(opts(['-F', 'vfs_read']), ref(''))).toEqual({ keyed: true, perProcess: false });
    expect(plan(opts(['-l', '1', 'vfs_read']), ref(''))).toEqual({ keyed: false, perProcess: false });
    expect(plan(opts(['-l', '4', 'vfs_read']), ref(''))).toEqual({ keyed: false, perProcess: false, level: 4 });
  });

  it('readHist groups by function and process, titles as BCC', () => {
    const key = (f: number, t: number, b: number) => {
      const k = new Uint8Array(16);
      const dv = new DataView(k.buffer);
      dv.setUint32(0, f, true);
      dv.setUint32(4, t, true);
      dv.setUint32(8, b, true);
      return k;
    };
    const val = (n: bigint) => {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigUint64(0, n, true);
      return v;
    };
    const targets: ProbeTarget[] = [
      { kind: 'uprobe', path: '/x', symbol: 'b', offset: 0n, vaddr: 0n, name: 'b', mechanism: 'uprobe_multi' },
      { kind: 'uprobe', path: '/x', symbol: 'a', offset: 0n, vaddr: 0n, name: 'a', mechanism: 'uprobe_multi' },
    ];
    const s = readHist(
      [
        [key(0, 20, 3), val(2n)],
        [key(1, 10, 1), val(5n)],
        [key(0, 20, 4), val(1n)],
        [key(0, 9, 4), val(1n)],
      ],
      targets,
      { keyed: true, perProcess: true },
    );
    expect(s.map((x) => x.title)).toEqual(['a [10]', 'b [9]', 'b [20]']);
    expect(s[2]!.slots.slice(0, 5)).toEqual([0n, 0n, 0n, 2n, 1n]);
    const k = readHist([[key(0, KERNEL_TGID, 2), val(1n)]], targets, { keyed: true, perProcess: false });
    expect(k[0]!.title).toBe('b');
  });
});
