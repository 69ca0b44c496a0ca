/**
 * Calls of the map helpers on a key (and value) kept on the BPF stack, as the program shapes
 * write them: R1 = the map, R2 = FP + key, and for an update R3 = FP + value and R4 = flags.
 * Each returns its instructions, so that a caller splices them into one `b.emit(…)`. The
 * calls clobber R0–R5; a lookup leaves the value pointer (or NULL) in R0.
 */
import { alu64, call, ldMapFd, R1, R2, R3, R4, FP, type Insn, type MapRef } from '../emit/asm.js';
import { Helper } from '../emit/helpers.gen.js';

/** BPF_NOEXIST: map_update_elem only creates. */
export const NOEXIST = 1;

/** R1 = map, R2 = FP + key. */
function mapAndKey(map: MapRef, key: number): Insn[] {
  return [ldMapFd(R1, map), alu64.mov.reg(R2, FP), alu64.add.imm(R2, key)];
}

/** `R0 = bpf_map_lookup_elem(map, FP + key)`. */
export function mapLookup(map: MapRef, key: number): Insn[] {
  return [...mapAndKey(map, key), call(Helper.MapLookupElem)];
}

/** `R0 = bpf_map_update_elem(map, FP + key, FP + value, flags)`; `comment` goes on the call. */
export function mapUpdate(map: MapRef, key: number, value: number, flags: number, comment?: string): Insn[] {
  return [...mapAndKey(map, key), alu64.mov.reg(R3, FP), alu64.add.imm(R3, value), alu64.mov.imm(R4, flags), call(Helper.MapUpdateElem, comment)];
}

/** `R0 = bpf_map_delete_elem(map, FP + key)`. */
export function mapDelete(map: MapRef, key: number): Insn[] {
  return [...mapAndKey(map, key), call(Helper.MapDeleteElem)];
}
