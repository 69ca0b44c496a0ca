/**
 * The program shape of funccount: count one event into a per-CPU array slot.
 *
 * The slot comes from the attachment's bpf_cookie where the kernel has cookies (one program
 * serves every target; uprobe_multi gives each offset its own cookie), or is a constant baked
 * into one program per target. A per-CPU array needs no atomic add: tracing programs do not
 * nest on one CPU (trace_call_bpf's bpf_prog_active guard), so a plain load/add/store is exact.
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu64, jmp, ldx, stx, st, call, exit, ldMapFd, R0, R1, R2, R6, FP } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';

export type SlotSource = { readonly kind: 'cookie' } | { readonly kind: 'const'; readonly slot: number };

export interface CountProgramOptions {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly counts: MapSpec;
  readonly slot: SlotSource;
  /** Count only this process (tgid), checked in the kernel. */
  readonly tgid?: number;
  /** Count only on this CPU. */
  readonly cpu?: number;
}

export function countsMapSpec(slots: number): MapSpec {
  return { name: 'counts', type: MapType.PercpuArray, keySize: 4, valueSize: 8, maxEntries: Math.max(slots, 1) };
}

export function countProgram(o: CountProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const counts = b.map(o.counts);
  const out = b.newLabel('out');
  const key = b.stackAlloc(4, 4);
  b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  if (o.tgid !== undefined) {
    b.emit(
      call(Helper.GetCurrentPidTgid),
      alu64.rsh.imm(R0, 32),
      jmp.jne.imm(R0, o.tgid, out, `-p ${o.tgid}`),
    );
  }
  if (o.cpu !== undefined) {
    b.emit(call(Helper.GetSmpProcessorId), jmp.jne.imm(R0, o.cpu, out, `-c ${o.cpu}`));
  }
  if (o.slot.kind === 'cookie') {
    b.emit(alu64.mov.reg(R1, R6), call(Helper.GetAttachCookie), stx('W', FP, key, R0, 'slot = cookie'));
  } else {
    b.emit(st('W', FP, key, o.slot.slot, `slot ${o.slot.slot}`));
  }
  b.emit(
    alu64.mov.reg(R2, FP),
    alu64.add.imm(R2, key),
    ldMapFd(R1, counts),
    call(Helper.MapLookupElem),
    jmp.jeq.imm(R0, 0, out),
    ldx('DW', R1, R0, 0),
    alu64.add.imm(R1, 1),
    stx('DW', R0, 0, R1, 'counts[slot]++ (per-CPU)'),
  );
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}
