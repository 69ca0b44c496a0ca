/**
 * From symbolic instructions to kernel bytes and back: label resolution (in raw
 * slots), map fd patching, little-endian encoding, and decoding.
 */
import { EmitError } from '../errors.js';
import { width, type Insn, type Label, type Reg } from './insn.js';
import * as op from './opcode.js';
import type { ProgramSpec } from './types.js';

export const SLOT_SIZE = 8;

/** True when the jump distance of `i` lives in imm (gotol, pseudo call) rather than off. */
export function jumpsViaImm(i: Insn): boolean {
  return i.opcode === (op.BPF_JMP32 | op.BPF_JA) || (i.opcode === (op.BPF_JMP | op.BPF_CALL) && i.src === op.BPF_PSEUDO_CALL);
}

/** Slot index of every instruction, and the total slot count. */
export function slotIndex(insns: readonly Insn[]): { slots: number[]; total: number } {
  const slots: number[] = [];
  let n = 0;
  for (const i of insns) {
    slots.push(n);
    n += width(i);
  }
  return { slots, total: n };
}

/** Label → slot. Throws on a label bound twice. */
export function labelSlots(insns: readonly Insn[]): Map<Label, number> {
  const { slots } = slotIndex(insns);
  const out = new Map<Label, number>();
  insns.forEach((i, k) => {
    if (i.label === undefined) return;
    if (out.has(i.label)) throw new EmitError(`label '${i.label}' is bound twice`);
    out.set(i.label, slots[k]!);
  });
  return out;
}

function stripJump(i: Insn, field: 'off' | 'imm', value: number): Insn {
  const { jumpTo: _drop, ...rest } = i;
  return Object.freeze({ ...rest, [field]: value });
}

/**
 * Replaces every `jumpTo` by its distance in raw slots (target − (this + 1)), in
 * `off`, or in `imm` for gotol and pseudo calls. Other fields (labels, comments,
 * map refs) are kept. Unknown labels and out-of-range distances throw EmitError.
 */
export function resolve(insns: readonly Insn[]): Insn[] {
  const labels = labelSlots(insns);
  const { slots } = slotIndex(insns);
  return insns.map((i, k) => {
    if (i.jumpTo === undefined) return i;
    const to = labels.get(i.jumpTo);
    if (to === undefined) throw new EmitError(`jump to unbound label '${i.jumpTo}' at insn ${k}`);
    const delta = to - (slots[k]! + 1);
    if (jumpsViaImm(i)) {
      if (delta < -0x8000_0000 || delta > 0x7fff_ffff) throw new EmitError(`jump to '${i.jumpTo}' out of range`);
      return stripJump(i, 'imm', delta);
    }
    if (delta < -0x8000 || delta > 0x7fff) {
      throw new EmitError(`jump to '${i.jumpTo}' at insn ${k} spans ${delta} slots, beyond the 16-bit offset range`, [
        'use jmp.gotol() for long unconditional jumps',
      ]);
    }
    return stripJump(i, 'off', delta);
  });
}

function writeSlot(view: DataView, slot: number, opcode: number, dst: number, src: number, off: number, imm: number): void {
  const b = slot * SLOT_SIZE;
  view.setUint8(b, opcode);
  view.setUint8(b + 1, ((src & 0x0f) << 4) | (dst & 0x0f));
  view.setInt16(b + 2, off, true);
  view.setInt32(b + 4, imm, true);
}

/**
 * Encodes already-resolved instructions (no `jumpTo` left). Map references are not
 * looked up: imm is written as it is (use assemble() to patch fds).
 */
export function encode(insns: readonly Insn[]): Uint8Array {
  const { total } = slotIndex(insns);
  const bytes = new Uint8Array(total * SLOT_SIZE);
  const view = new DataView(bytes.buffer);
  let slot = 0;
  insns.forEach((i, k) => {
    if (i.jumpTo !== undefined) throw new EmitError(`insn ${k} still jumps to label '${i.jumpTo}': resolve() first`);
    if (width(i) === 2) {
      const full = BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm >>> 0));
      const lo = Number(BigInt.asIntN(32, full));
      if (lo !== i.imm) throw new EmitError(`ld_imm64 at insn ${k}: imm ${i.imm} disagrees with imm64 0x${full.toString(16)}`);
      writeSlot(view, slot, i.opcode, i.dst, i.src, i.off, lo);
      writeSlot(view, slot + 1, 0, 0, 0, 0, Number(BigInt.asIntN(32, full >> 32n)));
      slot += 2;
    } else {
      writeSlot(view, slot, i.opcode, i.dst, i.src, i.off, i.imm);
      slot += 1;
    }
  });
  return bytes;
}

/** Resolves labels, patches map fds (by map name) and encodes. */
export function assemble(prog: ProgramSpec, mapFds: ReadonlyMap<string, number>): Uint8Array {
  const insns = resolve(prog.insns).map((i, k) => {
    if (i.mapRef === undefined) return i;
    const fd = mapFds.get(i.mapRef.name);
    if (fd === undefined) throw new EmitError(`program '${prog.name}': no fd for map '${i.mapRef.name}' (insn ${k})`);
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) throw new EmitError(`bad fd ${fd} for map '${i.mapRef.name}'`);
    const hi = BigInt.asUintN(64, i.imm64 ?? 0n) >> 32n;
    return Object.freeze({ ...i, imm: fd, imm64: (hi << 32n) | BigInt(fd) });
  });
  return encode(insns);
}

/** Inverse of encode(): ld_imm64 becomes one Insn with `imm64`. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % SLOT_SIZE !== 0) throw new EmitError(`${bytes.length} bytes is not a whole number of instructions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / SLOT_SIZE;
  const out: Insn[] = [];
  for (let s = 0; s < n; s++) {
    const b = s * SLOT_SIZE;
    const opcode = view.getUint8(b);
    const regs = view.getUint8(b + 1);
    const dst = (regs & 0x0f) as Reg;
    const src = regs >> 4;
    const off = view.getInt16(b + 2, true);
    const imm = view.getInt32(b + 4, true);
    if (opcode === op.LD_IMM64) {
      if (s + 1 >= n) throw new EmitError(`ld_imm64 at slot ${s} is cut off`);
      const hi = view.getUint32(b + 12, true);
      const imm64 = (BigInt(hi) << 32n) | BigInt(imm >>> 0);
      out.push(Object.freeze({ opcode, dst, src, off, imm, imm64 }));
      s++;
    } else {
      out.push(Object.freeze({ opcode, dst, src, off, imm }));
    }
  }
  return out;
}
