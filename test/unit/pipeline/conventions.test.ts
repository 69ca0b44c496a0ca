/**
 * Conventions the pipeline holds for every tool: one filter prologue with one pid policy, and
 * one way to dump each stage.
 */
import { describe, expect, it } from 'vitest';
import { ProgramBuilder } from '../../../src/emit/builder.js';
import { alu64, exit, R0 } from '../../../src/emit/asm.js';
import { disasm } from '../../../src/emit/disasm.js';
import { Helper } from '../../../src/emit/helpers.gen.js';
import { ProgType, AttachType } from '../../../src/emit/types.js';
import { CGROUP_MAP, emitTaskFilter } from '../../../src/compile/filter.js';
import { countProgram, countsMapSpec } from '../../../src/compile/tools/count.js';
import { stackMaps, stackProgram } from '../../../src/compile/tools/stacks.js';
import { latencyEntryProgram, latencyMaps } from '../../../src/compile/tools/latency.js';
import { argdistEntryProgram } from '../../../src/compile/tools/argdist.js';
import { recordLayout, traceMaps, traceProgram } from '../../../src/compile/tools/trace.js';
import { ringbufMapSpec } from '../../../src/events/ringbuf.js';
import { dumpPrograms, dumpText } from '../../../src/pipeline/dump.js';

const helpers = (text: string) => [...text.matchAll(/call (\w+)#/g)].map((m) => m[1]);

describe('one filter prologue', () => {
  it('cheapest first: cpu, then one pid_tgid call for tid, pid and the tracer itself, then uid, then cgroup', () => {
    const b = new ProgramBuilder('f', ProgType.Kprobe);
    const out = b.newLabel('out');
    emitTaskFilter(b, { cpu: 1, tid: 2, pid: 3, excludePid: 4, uid: 5, cgroup: CGROUP_MAP }, out);
    b.bind(out);
    b.emit(alu64.mov.imm(R0, 0), exit());
    const text = disasm(b.build().insns);
    expect(helpers(text)).toEqual(['bpf_get_smp_processor_id', 'bpf_get_current_pid_tgid', 'bpf_get_current_uid_gid', 'bpf_current_task_under_cgroup']);
    for (const c of ['-c 1', 'tid 2', '-p 3', 'not the tracer itself (-S)', '--uid 5', '-c CGROUP']) expect(text).toContain(c);
  });

  it('no filter, no helper call', () => {
    const spec = countProgram({ name: 'c', progType: ProgType.Tracepoint, counts: countsMapSpec(1), slot: { kind: 'const', slot: 0 }, filter: {} });
    expect(helpers(disasm(spec.insns))).toEqual([]);
  });

  // The pid policy: -p is checked in the program for every probe kind, uprobe_multi included
  // (funccount, argdist and stackcount used to leave it to the attachment).
  const uprobe = { progType: ProgType.Kprobe, expectedAttachType: AttachType.TraceUprobeMulti };
  const shapes: Array<[string, () => { insns: Parameters<typeof disasm>[0] }]> = [
    ['funccount', () => countProgram({ name: 'c', ...uprobe, counts: countsMapSpec(1), slot: { kind: 'cookie' }, filter: { pid: 1234 } })],
    ['stackcount', () => stackProgram({ name: 's', ...uprobe, maps: stackMaps(), kernelStack: false, userStack: true, comm: false, filter: { pid: 1234 } })],
    ['funclatency', () => latencyEntryProgram({ name: 'l', ...uprobe, maps: latencyMaps({}), filter: { pid: 1234 } })],
    ['argdist', () => argdistEntryProgram({ name: 'a', ...uprobe, filter: { pid: 1234 }, stash: () => {} })],
    [
      'trace',
      () => {
        const layout = recordLayout([], { stringSize: 8 });
        const maps = traceMaps({ transport: 'ringbuf', events: ringbufMapSpec(1 << 16), recordSize: layout.size });
        return traceProgram({
          name: 't',
          ...uprobe,
          probeIndex: 0,
          layout,
          maps,
          transport: 'ringbuf',
          filter: { pid: 1234 },
          lowering: { scalar: () => {}, string: () => {} },
        });
      },
    ],
  ];
  for (const [tool, build] of shapes) {
    it(`${tool}: -p is checked in the program on a uprobe_multi attachment`, () => {
      const text = disasm(build().insns);
      expect(text).toContain('call bpf_get_current_pid_tgid');
      expect(text).toMatch(/if r0 != 0x4d2 goto .*; -p 1234/);
    });
  }

  it('a program that keeps pid_tgid gets it in the register it asked for', () => {
    const text = disasm(latencyEntryProgram({ name: 'l', progType: ProgType.Kprobe, maps: latencyMaps({}), filter: {} }).insns);
    expect(text).toMatch(/call bpf_get_current_pid_tgid#14\n.*r7 = r0\t; pid_tgid/);
    expect(helpers(text)).toContain('bpf_get_current_pid_tgid');
    expect(Helper.GetCurrentPidTgid).toBe(14);
  });
});

describe('one way to dump each stage', () => {
  it('bigints are hex everywhere (addresses, offsets and literals alike)', () => {
    expect(dumpText({ offset: 0x1234n, neg: -16n, n: 7 })).toBe('{\n  "offset": "0x1234",\n  "neg": "-0x10",\n  "n": 7\n}\n');
  });

  it('ir shows what asm cannot: the program type, the maps, symbolic labels; asm is the xlated text', () => {
    const spec = countProgram({
      name: 'funccount_0',
      progType: ProgType.Tracepoint,
      counts: countsMapSpec(3),
      slot: { kind: 'const', slot: 2 },
      filter: { pid: 7 },
    });
    const ir = dumpPrograms([spec], ['ir']);
    const asm = dumpPrograms([spec], ['asm']);
    expect(ir).toContain('; ir funccount_0\nprogram funccount_0: Tracepoint\nmap counts: Array key 4 value 24 entries 1\n');
    expect(ir).toContain('if r0 != 0x7 goto <out_0>\t; -p 7');
    expect(ir).toMatch(/\nout_0:\n/);
    expect(asm).toContain('; program funccount_0\n   0: (85) call bpf_get_current_pid_tgid#14');
    expect(asm).not.toContain('<out>');
    expect(dumpPrograms([spec], ['ast', 'resolved'])).toBe('');
    expect(dumpPrograms([spec], [], { asm: true })).toBe(asm);
  });
});
