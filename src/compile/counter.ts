/**
 * `counter[slot]++` on a per-CPU array: how programs count what they lose (ring full, stack
 * map full, hash full, failed reads). Tracing programs do not nest on one CPU, so a plain load,
 * add and store is exact without atomics.
 */
import type { ProgramBuilder } from '../emit/builder.js';
import { alu64, jmp, ldx, st, stx, FP, R0, R1, type Label, type MapRef } from '../emit/asm.js';
import { mapLookup } from './map-calls.js';

/**
 * Emits the increment; a failed lookup (never, for an in-range slot) jumps to `next`, and the
 * increment falls through. Clobbers R0–R5 and the 4-byte stack slot `keySlot`.
 */
export function emitCountSlot(b: ProgramBuilder, counter: MapRef, slot: number, keySlot: number, next: Label, comment: string): void {
  b.emit(
    st('W', FP, keySlot, slot),
    ...mapLookup(counter, keySlot),
    jmp.jeq.imm(R0, 0, next),
    ldx('DW', R1, R0, 0),
    alu64.add.imm(R1, 1),
    stx('DW', R0, 0, R1, comment),
  );
}
