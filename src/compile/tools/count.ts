/**
 * The program shape of funccount: count one event into a counter slot.
 *
 * All counters live in the value of a single-element array map (u64 counts[N]), which the
 * program addresses directly with a BPF_PSEUDO_MAP_VALUE load (direct value access needs
 * max_entries == 1, kernel/bpf/arraymap.c array_map_direct_value_addr): no helper call, just
 * an atomic add. That makes the counting program about as cheap as an empty one at the hook.
 *
 * The slot is a constant baked into one program per target, or comes from the attachment's
 * bpf_cookie where one program serves many targets (wildcards: one load instead of hundreds,
 * at the price of one helper call per event).
 */
import { ProgramBuilder } from '../../emit/builder.js';
import { alu64, jmp, call, exit, ldMapValue, atomic, R0, R1, R2, R6 } from '../../emit/asm.js';
import { Helper } from '../../emit/helpers.gen.js';
import { MapType, type MapSpec, type ProgramSpec } from '../../emit/types.js';
import { emitTaskFilter, type TaskFilter } from '../filter.js';

export type SlotSource = { readonly kind: 'cookie' } | { readonly kind: 'const'; readonly slot: number };

export interface CountProgramOptions {
  readonly name: string;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly counts: MapSpec;
  readonly slot: SlotSource;
  /** Which tasks' events count. */
  readonly filter: TaskFilter;
}

/** u64 counts[slots] in the value of a one-element array. */
export function countsMapSpec(slots: number): MapSpec {
  return { name: 'counts', type: MapType.Array, keySize: 4, valueSize: 8 * Math.max(slots, 1), maxEntries: 1 };
}

export function countSlots(spec: MapSpec): number {
  return spec.valueSize / 8;
}

/** Decode the counters from the map's single value. */
export function decodeCounts(value: Uint8Array): bigint[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: bigint[] = [];
  for (let off = 0; off + 8 <= value.byteLength; off += 8) out.push(dv.getBigUint64(off, true));
  return out;
}

export function countProgram(o: CountProgramOptions): ProgramSpec {
  const b = new ProgramBuilder(o.name, o.progType);
  const counts = b.map(o.counts);
  const out = b.newLabel('out');
  const slots = countSlots(o.counts);
  if (o.slot.kind === 'cookie') b.emit(alu64.mov.reg(R6, R1, 'save ctx'));
  emitTaskFilter(b, o.filter, out);
  if (o.slot.kind === 'cookie') {
    b.emit(
      alu64.mov.reg(R1, R6),
      call(Helper.GetAttachCookie, 'slot = cookie'),
      jmp.jge.imm(R0, slots, out, 'slot < slots (for the verifier)'),
      alu64.lsh.imm(R0, 3),
      ldMapValue(R1, counts, 0, '&counts[0]'),
      alu64.add.reg(R1, R0),
    );
  } else {
    b.emit(ldMapValue(R1, counts, 8 * o.slot.slot, `&counts[${o.slot.slot}]`));
  }
  b.emit(alu64.mov.imm(R2, 1), atomic.add('DW', R1, 0, R2, 'counts[slot]++'));
  b.bind(out);
  b.emit(alu64.mov.imm(R0, 0), exit());
  return b.build({ expectedAttachType: o.expectedAttachType });
}
